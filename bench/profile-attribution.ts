/**
 * Where a server's main thread spends its time, from a V8 CPU profile (`node --cpu-prof`): the
 * samples taken inside a time window, each charged to a group — a package under `node_modules`, a
 * module of Node itself (`node:internal/streams/writable`), a file of this repository, the garbage
 * collector, or V8 and native code outside any script (`(program)`). A sample in a built-in without
 * a script (`JSON.stringify`, a `write` system call's binding) is charged to the nearest caller that
 * has one, so that `JSON.stringify` counts for whoever called it. Idle samples are left out.
 */

export interface CpuProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string };
  readonly children?: readonly number[];
}

/** The JSON a `.cpuprofile` file holds (Chrome DevTools' format, times in µs). */
export interface CpuProfile {
  readonly nodes: readonly CpuProfileNode[];
  readonly startTime: number;
  readonly endTime: number;
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

/** A stretch of the monotonic clock, in µs (`process.hrtime.bigint() / 1000n` in any process). */
export interface TimeWindow {
  readonly start: number;
  readonly end: number;
}

export const GARBAGE_COLLECTOR = 'garbage collector';
export const PROGRAM = 'V8 and native code (program)';

/**
 * The group of a script's URL: `node:…` as it is, a package by its name (`@scope/name`), and a file
 * of this repository by its path below the build directory (`src/…`, `bench/…`).
 */
export function groupOfUrl(url: string): string {
  if (url.startsWith('node:')) return url;
  const path = url.replace(/^file:\/\//, '');
  const modules = path.lastIndexOf('/node_modules/');
  if (modules !== -1) {
    const [first, second] = path.slice(modules + '/node_modules/'.length).split('/');
    return first.startsWith('@') && second !== undefined ? `${first}/${second}` : first;
  }
  // The service builds src/ into dist/, the bench builds src/ and bench/ into dist-bench/.
  const built = /\/dist(-bench)?\/(.*)\.js$/.exec(path);
  if (built === null) return path;
  return `${built[1] === undefined ? 'src/' : ''}${built[2]}.ts`;
}

/**
 * Time (µs) per group over the samples inside `window`. A sample's time is the interval to the
 * next sample, as DevTools counts it.
 */
export function timeByGroup(profile: CpuProfile, window: TimeWindow): Map<string, number> {
  const byId = new Map<number, CpuProfileNode>();
  const parentOf = new Map<number, number>();
  for (const node of profile.nodes) {
    byId.set(node.id, node);
    for (const child of node.children ?? []) parentOf.set(child, node.id);
  }
  const groupOfNode = new Map<number, string | null>();
  const groupOf = (id: number): string | null => {
    const known = groupOfNode.get(id);
    if (known !== undefined) return known;
    const { functionName, url } = byId.get(id)?.callFrame ?? { functionName: '', url: '' };
    let group: string | null;
    if (url !== '') group = groupOfUrl(url);
    else if (functionName === '(idle)') group = null;
    else if (functionName === '(garbage collector)') group = GARBAGE_COLLECTOR;
    else if (functionName === '(program)' || functionName === '(root)') group = PROGRAM;
    else {
      const parent = parentOf.get(id);
      group = parent === undefined ? PROGRAM : groupOf(parent);
      // A built-in called from nothing but the root: V8's own work.
      if (group === null) group = PROGRAM;
    }
    groupOfNode.set(id, group);
    return group;
  };

  const times = new Map<string, number>();
  let at = profile.startTime;
  const stamps = profile.timeDeltas.map((delta) => (at += delta));
  for (let index = 0; index < profile.samples.length - 1; index++) {
    if (stamps[index] < window.start || stamps[index] >= window.end) continue;
    const group = groupOf(profile.samples[index]);
    if (group === null) continue;
    times.set(group, (times.get(group) ?? 0) + (stamps[index + 1] - stamps[index]));
  }
  return times;
}
