import { createHook } from 'node:async_hooks';

let held: object | undefined;

/**
 * Keeps one of `process.nextTick`'s queue entries alive for the life of the process.
 *
 * Node builds each entry as an object literal with two computed symbol keys. In some processes
 * (every one under valgrind, a few natively on a busy machine) V8's optimised `nextTick`, and the
 * stream functions it is inlined into, came to define all four properties of every entry through
 * the runtime: 87 calls per show request, 15 % of its instructions. With one entry held, that did
 * not happen in any run (docs/PERFORMANCE.md, "The twentieth session"); which V8 mechanism drops
 * the entries' hidden classes was not pinned down. Nothing a client sees changes.
 *
 * Call it first, before the rest of the process queues ticks.
 */
export function holdNextTickShape(): object | undefined {
  held ??= nextTickEntry();
  return held;
}

/** The entry `process.nextTick` queues for a no-op, caught as its async resource is made. */
export function nextTickEntry(): object | undefined {
  let entry: object | undefined;
  const hook = createHook({
    init(_asyncId, type, _triggerAsyncId, resource) {
      if (type === 'TickObject') entry ??= resource;
    },
  });
  hook.enable();
  process.nextTick(() => undefined);
  hook.disable();
  return entry;
}
