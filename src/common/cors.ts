import fastifyCors from '@fastify/cors';
import type {
  FastifyInstance,
  FastifyReply,
  FastifyRequest,
  RouteHandlerMethod,
  RouteShorthandOptions,
} from 'fastify';
import { answerFastifyError } from './error-response';
import { corsOptionsFor } from './security-headers';

/** An `onRequest` hook in callback style. */
type RequestHook = (request: FastifyRequest, reply: FastifyReply, done: () => void) => void;

/**
 * `@fastify/cors` with `corsOptionsFor(writeOrigins)`, run only for requests that carry an
 * `Origin`. The plugin builds and merges its options objects on every request, which cost a
 * request without `Origin` (no CORS request, and nearly all of them) several percent of its
 * instructions (docs/PERFORMANCE.md); such a request gets `origin: false` from `corsOptionsFor`,
 * with which the plugin only sets `Vary: Origin` and lets the request through, and so does this
 * hook. The plugin registers its preflight route and request decoration as usual; its hook is kept
 * and returned, for the caller to run from its own `onRequest` hook before any other hook sets
 * `Vary`. cors.spec.ts proves the answers equal the plugin's.
 */
export async function corsHook(
  fastify: FastifyInstance,
  writeOrigins: readonly string[] | '*',
): Promise<RequestHook> {
  let pluginHook: RequestHook | undefined;
  const plugin = (instance: FastifyInstance, _options: object, done: (error?: Error) => void) => {
    const keepingHook: FastifyInstance = new Proxy(instance, {
      get(target, property) {
        if (property === 'addHook') {
          return (name: string, hook: RequestHook) => {
            if (name !== 'onRequest' || pluginHook !== undefined) {
              throw new Error(`@fastify/cors added an unexpected ${name} hook`);
            }
            pluginHook = hook;
            return keepingHook;
          };
        }
        if (property === 'options') {
          // Its preflight route is added before Nest sets the error handler: give it the contract's.
          return (path: string, options: RouteShorthandOptions, handler: RouteHandlerMethod) => {
            target.options(path, { ...options, errorHandler: answerFastifyError }, handler);
            return keepingHook;
          };
        }
        const value: unknown = Reflect.get(target, property, target);
        return typeof value === 'function' ? (value.bind(target) as unknown) : value;
      },
    });
    fastifyCors(keepingHook, { delegator: corsOptionsFor(writeOrigins) }, done);
  };
  // Like fastify-plugin: the route and the decoration go to `fastify` itself, not a child of it.
  await fastify.register(Object.assign(plugin, { [Symbol.for('skip-override')]: true }));
  const hook = pluginHook;
  if (hook === undefined) throw new Error('@fastify/cors added no onRequest hook');
  return function cors(this: unknown, request, reply, done) {
    if (request.headers.origin === undefined) {
      void reply.header('vary', 'Origin');
      done();
    } else {
      hook.call(this, request, reply, done);
    }
  };
}
