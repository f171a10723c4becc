import { hideCredentials } from './hide-credentials';
import { DEFAULT_IMAGE_EVENTS_STREAM, normalizeSubjectPrefix } from '@image-api/client';

/**
 * The message side of the service (docs/microservice.md): the TCP and NATS listeners of the
 * request-response patterns, and the relay that publishes the event outbox to NATS JetStream.
 */
export interface MessagingConfig {
  /** The TCP listener; absent when `MICROSERVICE_PORT` is unset. Port 0 takes any free port. */
  readonly tcp?: { readonly host: string; readonly port: number };
  /** The NATS listener and the event relay; absent when `NATS_URL` is unset. */
  readonly nats?: {
    readonly servers: readonly string[];
    /** The user and password (or token) the URLs carry: the NATS client does not read them there. */
    readonly auth?: NatsAuth;
    /** Queue group of the request subscriptions, so that instances share the requests. */
    readonly queue: string;
  };
  /** Prepended to every NATS subject, requests and events alike (`""` or ends with a dot). */
  readonly subjectPrefix: string;
  /** The JetStream stream holding the events. */
  readonly eventsStream: string;
  readonly outbox: {
    /** How often the relay looks for rows other processes (or a crash) left unpublished. */
    readonly pollIntervalMs: number;
    /** The longest wait between two attempts while the broker is unreachable. */
    readonly retryMaxMs: number;
  };
}

/** `nats://user:password@host` or `nats://token@host`, as the NATS clients of other languages read it. */
export type NatsAuth =
  { readonly user: string; readonly pass: string } | { readonly token: string };

const NAME_TOKEN = /^[A-Za-z0-9_-]+$/;

/**
 * Reads the messaging variables with the helpers of `parseConfig` (`read` gives a trimmed value or
 * undefined; `integer` validates a range), adding one problem per bad variable.
 */
export function parseMessagingConfig(
  read: (name: string) => string | undefined,
  integer: (name: string, fallback: number, min: number, max: number) => number,
  problems: string[],
): MessagingConfig {
  const rawPort = read('MICROSERVICE_PORT');
  const port = rawPort === undefined ? undefined : integer('MICROSERVICE_PORT', 0, 0, 65535);
  // Loopback unless told otherwise: the TCP listener has no authentication of its own.
  const host = read('MICROSERVICE_HOST') ?? '127.0.0.1';
  if (/\s|\//.test(host)) {
    problems.push(`MICROSERVICE_HOST must be a host name or IP address (got "${host}")`);
  }

  const servers = parseNatsServers(read('NATS_URL'), problems);
  const queue = read('NATS_QUEUE') ?? 'image-api';
  if (!NAME_TOKEN.test(queue)) {
    problems.push(`NATS_QUEUE must be letters, digits, _ or - (got "${queue}")`);
  }

  // The client package's rule, so that a prefix means the same subjects on both sides.
  const rawPrefix = read('NATS_SUBJECT_PREFIX') ?? '';
  let subjectPrefix = '';
  try {
    subjectPrefix = normalizeSubjectPrefix(rawPrefix);
  } catch {
    problems.push(
      `NATS_SUBJECT_PREFIX must be dot-separated tokens of letters, digits, _ or - such as "staging." (got "${rawPrefix}")`,
    );
  }

  const eventsStream = read('NATS_EVENTS_STREAM') ?? DEFAULT_IMAGE_EVENTS_STREAM;
  if (!NAME_TOKEN.test(eventsStream) || eventsStream.length > 64) {
    problems.push(
      `NATS_EVENTS_STREAM must be up to 64 letters, digits, _ or - (got "${eventsStream}")`,
    );
  }

  return {
    ...(port === undefined ? {} : { tcp: { host, port } }),
    ...(servers === undefined
      ? {}
      : { nats: { servers, queue, ...credentialsOf(servers, problems) } }),
    subjectPrefix,
    eventsStream,
    outbox: {
      pollIntervalMs: integer('OUTBOX_POLL_INTERVAL_MS', 1000, 10, 3_600_000),
      retryMaxMs: integer('OUTBOX_RETRY_MAX_MS', 30_000, 10, 3_600_000),
    },
  };
}

/** `nats://host:4222` or a comma list of them (`tls://` for TLS). */
function parseNatsServers(raw: string | undefined, problems: string[]): string[] | undefined {
  if (raw === undefined) return undefined;
  const servers = raw
    .split(',')
    .map((server) => server.trim())
    .filter((server) => server !== '');
  const bad = servers.filter((server) => {
    try {
      const url = new URL(server);
      return !['nats:', 'tls:'].includes(url.protocol) || url.hostname === '';
    } catch {
      return true;
    }
  });
  if (servers.length === 0 || bad.length > 0) {
    problems.push(
      `NATS_URL must be nats://host:port (or a comma-separated list of them; tls:// for TLS) (got "${hideCredentials(raw)}")`,
    );
    return undefined;
  }
  return servers;
}

/**
 * The credentials in the server URLs (found by a probe: nats.js ignores them, so a server that
 * requires a user answered every start with "Authorization Violation"). URLs of one cluster must
 * agree on them.
 */
function credentialsOf(servers: readonly string[], problems: string[]): { auth?: NatsAuth } {
  const found = new Map<string, NatsAuth>();
  for (const server of servers) {
    const url = new URL(server);
    if (url.username === '' && url.password === '') continue;
    const user = decodeURIComponent(url.username);
    const auth: NatsAuth =
      url.password === '' ? { token: user } : { user, pass: decodeURIComponent(url.password) };
    found.set(JSON.stringify(auth), auth);
  }
  if (found.size > 1) {
    problems.push(
      'NATS_URL must give the same user and password (or token) in every URL that has one',
    );
    return {};
  }
  const [auth] = found.values();
  return auth === undefined ? {} : { auth };
}
