import {
  CpuProfile,
  CpuProfileNode,
  GARBAGE_COLLECTOR,
  groupOfUrl,
  PROGRAM,
  timeByGroup,
} from './profile-attribution';

describe('groupOfUrl', () => {
  it.each([
    ['node:internal/streams/writable', 'node:internal/streams/writable'],
    ['/app/node_modules/fastify/lib/reply.js', 'fastify'],
    ['file:///app/node_modules/@nestjs/core/router/router-proxy.js', '@nestjs/core'],
    ['/app/node_modules/a/node_modules/mysql2/lib/base/connection.js', 'mysql2'],
    ['/app/dist/image/image.service.js', 'src/image/image.service.ts'],
    ['file:///app/dist/main.js', 'src/main.ts'],
    ['/app/dist-bench/bench/ceiling-server.js', 'bench/ceiling-server.ts'],
    ['/app/dist-bench/src/common/entity-tag.js', 'src/common/entity-tag.ts'],
    ['/somewhere/else.js', '/somewhere/else.js'],
  ])('should put %s in %s', (url, group) => {
    expect(groupOfUrl(url)).toBe(group);
  });
});

describe('timeByGroup', () => {
  const node = (id: number, functionName: string, url: string, children: number[] = []) =>
    ({ id, callFrame: { functionName, url }, children }) as CpuProfileNode;
  // (root) ─┬ (program), (idle), (garbage collector)
  //         ├ list (service) ── writeString (a binding, no script) ── stringify (no script)
  //         ├ serialize (fastify)
  //         └ stringify (a built-in straight under the root)
  const nodes = [
    node(1, '(root)', '', [2, 3, 4, 5, 8, 9]),
    node(2, '(program)', ''),
    node(3, '(idle)', ''),
    node(4, '(garbage collector)', ''),
    node(5, 'list', '/app/dist/image/image.service.js', [6]),
    node(6, 'writeString', '', [7]),
    node(7, 'stringify', ''),
    node(8, 'serialize', '/app/node_modules/fastify/lib/reply.js'),
    node(9, 'stringify', ''),
  ];
  // Samples at 1000 (start + first delta), 1010, 1030, 1060, 1100, 1150, 1210, 1280, 1360.
  const profile: CpuProfile = {
    nodes,
    startTime: 990,
    endTime: 1400,
    samples: [2, 5, 6, 3, 7, 8, 4, 9, 5],
    timeDeltas: [10, 10, 20, 30, 40, 50, 60, 70, 80],
  };

  it('should charge each sample the time to the next, by group, leaving idle time out', () => {
    expect(Object.fromEntries(timeByGroup(profile, { start: 0, end: 10_000 }))).toEqual({
      [PROGRAM]: 10 + 80, // (program) at 1000, the root's built-in at 1280
      'src/image/image.service.ts': 20 + 30 + 50, // list, and the binding and built-in under it
      fastify: 60,
      [GARBAGE_COLLECTOR]: 70,
    });
  });

  it('should count only the samples taken inside the window', () => {
    expect(Object.fromEntries(timeByGroup(profile, { start: 1030, end: 1150 }))).toEqual({
      'src/image/image.service.ts': 30 + 50, // the samples at 1030 and 1100; idle at 1060
    });
  });

  it('should give nothing for a window the profile does not cover', () => {
    expect(timeByGroup(profile, { start: 5000, end: 6000 }).size).toBe(0);
  });
});
