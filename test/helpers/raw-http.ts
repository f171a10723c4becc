import { connect, Socket } from 'node:net';

export interface RawAnswer {
  /** Everything the server wrote, as text. */
  readonly text: string;
  readonly status: number;
  /** Header names in lower case. */
  readonly headers: Record<string, string>;
  readonly body: string;
  /** The server closed the connection (rather than the test giving up waiting). */
  readonly closedByServer: boolean;
  /** Milliseconds from the first byte sent to the end of the answer (or the give-up). */
  readonly elapsedMs: number;
}

function parseAnswer(text: string): Pick<RawAnswer, 'status' | 'headers' | 'body'> {
  const headEnd = text.indexOf('\r\n\r\n');
  const head = headEnd === -1 ? text : text.slice(0, headEnd);
  const [statusLine = '', ...lines] = head.split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon > 0)
      headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return {
    status: Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1] ?? 0),
    headers,
    body: headEnd === -1 ? '' : text.slice(headEnd + 4),
  };
}

/**
 * Sends bytes exactly as given over a new TCP connection, and collects the answer until the server
 * closes the connection or `waitMs` passes (the socket is then destroyed): what a hostile or
 * broken client sees, with none of an HTTP client's own checks in between.
 */
export function rawHttp(
  port: number,
  request: string | Buffer,
  waitMs = 5000,
  options: {
    /** Half-closes after the request (a TCP FIN), as `nc -N` does. */ halfClose?: boolean;
  } = {},
): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const socket: Socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const started = Date.now();
    let settled = false;
    const finish = (closedByServer: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      const text = Buffer.concat(chunks).toString('utf8');
      resolve({ text, ...parseAnswer(text), closedByServer, elapsedMs: Date.now() - started });
    };
    const timer = setTimeout(() => finish(false), waitMs);
    socket.on('connect', () => (options.halfClose ? socket.end(request) : socket.write(request)));
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('end', () => finish(true));
    socket.on('close', () => finish(true));
    socket.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ECONNRESET' || error.code === 'EPIPE') finish(true);
      else if (!settled) {
        settled = true;
        clearTimeout(timer);
        reject(error);
      }
    });
  });
}
