import { type KeyObject } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { type AddressInfo } from 'node:net';

/**
 * A JWKS document served by the test itself on 127.0.0.1, counting its requests. Each key names
 * the algorithm of its type, or the one `algorithms` gives it (null: none). Each answer waits for
 * `before` when given (a test holding a request in the service's JWT guard).
 */
export async function serveJwks(
  keys: Record<string, KeyObject>,
  algorithms: Record<string, string | null> = {},
  before: () => Promise<void> = () => Promise.resolve(),
): Promise<{
  uri: string;
  requests: () => number;
  close: () => Promise<void>;
}> {
  let requests = 0;
  const document = {
    keys: Object.entries(keys).map(([kid, key]) => ({
      ...key.export({ format: 'jwk' }),
      kid,
      use: 'sig',
      ...(algorithms[kid] === null
        ? {}
        : { alg: algorithms[kid] ?? (key.asymmetricKeyType === 'rsa' ? 'RS256' : 'ES256') }),
    })),
  };
  const server: Server = createServer((_request, response) => {
    requests += 1;
    void before().then(() => {
      response.writeHead(200, { 'Content-Type': 'application/json' });
      response.end(JSON.stringify(document));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    uri: `http://127.0.0.1:${port}/.well-known/jwks.json`,
    requests: () => requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
