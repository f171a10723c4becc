import fastifyHelmet, { FastifyHelmetOptions } from '@fastify/helmet';
import Fastify, { type FastifyReply } from 'fastify';

/**
 * `@fastify/helmet`'s headers as one precomputed set. The plugin builds a whole `helmet` middleware
 * (options checked, policy string joined) in two hooks on every request; with options that have no
 * per-request part (no nonces, no function directives) it sets the same headers every time, so
 * they are taken from the plugin once, at start, and set by the caller's own hook
 * (docs/PERFORMANCE.md, "The regression of 2026-12-05"). They are set as Fastify's own headers
 * (`reply.header`, names in lower case as Fastify sends every header), not on Node's response: one
 * header set there sends the whole answer down Node's slow header path, a fifth of the instructions
 * of a cached page (docs/PERFORMANCE.md, "The response cache"). The names are recorded in lower
 * case: Fastify lowercases every name it is given, and a name that changes is a new string, looked
 * up in V8's string table, on every request. helmet-headers.spec.ts proves the answers equal the
 * plugin's, but for the case of those names.
 */

/** Sets the headers on an answer, as the plugin would in its `onRequest` hook. */
export type SetHelmetHeaders = (reply: FastifyReply) => void;

/** A call the plugin made on the answer: set a header, or remove one. */
type HeaderCall = readonly [name: string, value?: string | number | readonly string[]];

/**
 * Asks the plugin, on a Fastify instance of its own, which headers it sets and removes for
 * `options`, and returns a function that makes the same calls in the same order.
 */
export async function helmetHeaders(options: FastifyHelmetOptions): Promise<SetHelmetHeaders> {
  if (options.enableCSPNonces === true || hasFunctionDirective(options)) {
    throw new Error('These helmet options differ per request: use the plugin');
  }
  const calls: HeaderCall[] = [];
  let recording = true;
  const probe = Fastify();
  // Before the plugin's hooks: records what they do to the answer.
  probe.addHook('onRequest', (_request, reply, done) => {
    const response = reply.raw;
    const setHeader = response.setHeader.bind(response);
    const removeHeader = response.removeHeader.bind(response);
    response.setHeader = (name: string, value: string | number | readonly string[]) => {
      if (recording) calls.push([name.toLowerCase(), value]);
      return setHeader(name, value);
    };
    response.removeHeader = (name: string) => {
      if (recording) calls.push([name.toLowerCase()]);
      removeHeader(name);
    };
    done();
  });
  await probe.register(fastifyHelmet, options);
  // The handler runs after every onRequest hook: what sending the answer does is not recorded.
  probe.get('/', () => {
    recording = false;
    return '';
  });
  await probe.inject('/');
  await probe.close();
  return (reply) => {
    for (const [name, value] of calls) {
      // Removed from Node's response, as the plugin does (cheap: nothing is set there).
      if (value === undefined) reply.raw.removeHeader(name);
      else void reply.header(name, value);
    }
  };
}

function hasFunctionDirective(options: FastifyHelmetOptions): boolean {
  const policy = options.contentSecurityPolicy;
  const directives = typeof policy === 'object' ? Object.values(policy.directives ?? {}) : [];
  return directives.some((value) => [value].flat().some((part) => typeof part === 'function'));
}
