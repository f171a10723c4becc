/**
 * Reading callgrind's dump files back (`bench/instructions.ts`): the instructions a process executed
 * between `callgrind_control -z` (zero) and `callgrind_control -d` (dump), one file per thread.
 */

/**
 * The instructions (Ir) of a callgrind dump: its `summary:` line, the figure `callgrind_annotate`
 * reports as the program's total; the `totals:` line at the end of a dump when there is none.
 * (Both are written; `totals:` sums the cost lines and came out up to 0.6 % higher here.)
 */
export function callgrindTotal(dump: string): number {
  const match = /^summary:\s+(\d+)/m.exec(dump) ?? /^totals:\s+(\d+)/m.exec(dump);
  if (match === null) throw new Error('no summary or totals line in the callgrind dump');
  return Number(match[1]);
}

/**
 * The dump files of the first dump of `outFile` (`--callgrind-out-file`), by thread: with
 * `--separate-threads=yes` callgrind writes `<outFile>.1-01` for the first thread (the main
 * thread), `<outFile>.1-02`… for the others; without it, `<outFile>.1` for all of them.
 */
export function firstDumpFiles(
  outFile: string,
  names: readonly string[],
): { main: string; others: string[] } {
  const base = outFile.slice(outFile.lastIndexOf('/') + 1);
  const perThread = names
    .filter((name) => name.startsWith(`${base}.1-`))
    .sort((a, b) => Number(a.slice(base.length + 3)) - Number(b.slice(base.length + 3)));
  if (perThread.length > 0) {
    const [main, ...others] = perThread;
    return { main, others };
  }
  if (names.includes(`${base}.1`)) return { main: `${base}.1`, others: [] };
  throw new Error(`no dump of ${base} among ${names.length} files`);
}
