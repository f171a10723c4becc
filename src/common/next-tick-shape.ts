import { createHook } from 'node:async_hooks';

/**
 * Keeps one of `process.nextTick`'s queue entries alive for the life of the process.
 *
 * Node builds each entry as an object literal with two symbol keys, which V8 defines through its
 * hidden classes (maps) of that shape. Those maps live only while an object uses them: a full
 * collection at a moment when no tick is queued drops them, and the next tick makes new ones.
 * After that has happened a few times, the optimised code of `nextTick` (and of the stream
 * functions it is inlined into) defines every property of every tick through the runtime.
 * Under valgrind that was 87 runtime calls per show request, 15 % of its instructions; natively it
 * struck some processes on a loaded machine (docs/PERFORMANCE.md, "The tick object's hidden
 * classes"). Holding one entry keeps the maps alive. Nothing a client sees changes.
 *
 * Call it first, before anything queues ticks that could lose their maps.
 */
let held: object | undefined;

export function holdNextTickShape(): object | undefined {
  if (held !== undefined) return held;
  const hook = createHook({
    init(_asyncId, type, _triggerAsyncId, resource) {
      if (type === 'TickObject' && held === undefined) held = resource;
    },
  });
  hook.enable();
  process.nextTick(() => undefined);
  hook.disable();
  return held;
}
