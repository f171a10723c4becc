import { Logger } from '@nestjs/common';
import type { JwksClient } from 'jwks-rsa';

const logger = new Logger('JwksKeySet');

/** How long a fetched key set is trusted before it is fetched again. */
export const JWKS_MAX_AGE_MS = 10 * 60 * 1000;
/** The least time between two fetches asked for by a key id the set lacks (jose's default). */
export const JWKS_COOLDOWN_MS = 30 * 1000;
/** After a failed fetch, how long requests get that failure (503) without asking again. */
export const JWKS_FAILURE_BACKOFF_MS = 5 * 1000;
/** The longest a fetch of the key set may take, body included. */
export const JWKS_FETCH_TIMEOUT_MS = 5 * 1000;
/** The largest key set read (a set of a few keys is a few KB). */
export const JWKS_MAX_BYTES = 1024 * 1024;

/**
 * Fetches a JWKS document for jwks-rsa (its `fetcher`): within `JWKS_FETCH_TIMEOUT_MS` in all,
 * at most `JWKS_MAX_BYTES`, from a 2xx answer, no redirect followed. jwks-rsa's own request only
 * bounded the wait for the headers: an endpoint that stalled or trickled after them left the fetch,
 * and every request with a token after it, waiting for good, and a huge body ended the process
 * (found by a probe).
 */
export async function fetchJwks(uri: string): Promise<{ keys: unknown }> {
  const signal = AbortSignal.timeout(JWKS_FETCH_TIMEOUT_MS);
  let text: string;
  try {
    const response = await fetch(uri, { signal, redirect: 'error' });
    if (!response.ok) {
      await response.body?.cancel();
      throw new Error(`the JWKS endpoint answered ${response.status}`);
    }
    text = await boundedText(response);
  } catch (error) {
    if (signal.aborted) {
      throw new Error(`the JWKS endpoint did not answer within ${JWKS_FETCH_TIMEOUT_MS} ms`);
    }
    // fetch's own failure says only "fetch failed"; its cause says why (a redirect, a refusal).
    const cause = (error as { cause?: { message?: unknown } } | null)?.cause;
    if (typeof cause?.message === 'string') {
      throw new Error(`the JWKS endpoint could not be read: ${cause.message}`);
    }
    throw error;
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new Error('the JWKS endpoint answered with no JSON');
  }
  const keys = (body as { keys?: unknown } | null)?.keys;
  if (typeof body !== 'object' || Array.isArray(body) || !Array.isArray(keys)) {
    throw new Error('the JWKS endpoint answered JSON that is no object with a "keys" array');
  }
  // An entry that is no object is no key (RFC 7517 section 5: ignored); jwks-rsa threw on a null
  // one, which took every key of the set with it (found by a probe).
  return {
    keys: keys.filter((key) => typeof key === 'object' && key !== null && !Array.isArray(key)),
  };
}

async function boundedText(response: Response): Promise<string> {
  if (response.body === null) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = response.body.getReader() as ReadableStreamDefaultReader<Uint8Array>;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > JWKS_MAX_BYTES) {
      await reader.cancel();
      throw new Error(`the JWKS endpoint sent more than ${JWKS_MAX_BYTES} bytes`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** A key of the set: its public key (PEM), and the algorithm the JWK names for it, if any. */
interface JwksKey {
  readonly pem: string;
  readonly alg?: string;
}

/** A `kid` two keys of the set share (or two keys without one): it names no key. */
const AMBIGUOUS = Symbol('ambiguous');

/**
 * The keys of a JWKS endpoint, fetched as a whole and kept together. jwks-rsa's own cache keeps
 * one key per `kid` asked for, behind a fetch budget (10 a minute) shared by every request: tokens
 * naming made-up key ids used the budget up, and a valid token whose key was not cached yet was
 * then refused (401). Here a key id the set lacks causes at most one fetch per `JWKS_COOLDOWN_MS`,
 * and every key of a fetch is known at once.
 */
export class JwksKeySet {
  private keys = new Map<string | undefined, JwksKey | typeof AMBIGUOUS>();
  private size = 0;
  private fetchedAt = Number.NEGATIVE_INFINITY;
  private failure?: { at: number; error: Error };
  private fetching?: Promise<void>;

  constructor(
    private readonly client: Pick<JwksClient, 'getSigningKeys'>,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * The public key (PEM) of `kid` — with no `kid`, the set's only key — or undefined when the set
   * has none such. Rejects when the endpoint cannot be asked.
   */
  async keyFor(kid: string | undefined): Promise<string | undefined> {
    return (await this.entryFor(kid))?.pem;
  }

  /**
   * The algorithm the JWK of `kid` names (`alg`), if it names one: a token for that key must be
   * signed with it (RFC 8725 §3.1). Read after `keyFor`, from the same fetch.
   */
  algorithmOf(kid: string | undefined): string | undefined {
    return this.find(kid)?.alg;
  }

  /** Whether `keyFor(kid)` would wait for the endpoint: a fetch is due, and none failed just now. */
  wouldFetch(kid: string | undefined): boolean {
    const age = this.now() - this.fetchedAt;
    if (age < JWKS_MAX_AGE_MS && (this.find(kid) !== undefined || age < JWKS_COOLDOWN_MS)) {
      return false;
    }
    const failure = this.failure;
    return failure === undefined || this.now() - failure.at >= JWKS_FAILURE_BACKOFF_MS;
  }

  private async entryFor(kid: string | undefined): Promise<JwksKey | undefined> {
    const age = this.now() - this.fetchedAt;
    if (age < JWKS_MAX_AGE_MS) {
      const known = this.find(kid);
      if (known !== undefined || age < JWKS_COOLDOWN_MS) return known;
    }
    await this.refresh();
    return this.find(kid);
  }

  private find(kid: string | undefined): JwksKey | undefined {
    // With no `kid`, only a set of one key says which (two keys without one: the last won).
    if (kid === undefined && this.size !== 1) return undefined;
    const key = kid === undefined ? [...this.keys.values()][0] : this.keys.get(kid);
    return key === AMBIGUOUS ? undefined : key;
  }

  private refresh(): Promise<void> {
    const failure = this.failure;
    if (failure !== undefined && this.now() - failure.at < JWKS_FAILURE_BACKOFF_MS) {
      return Promise.reject(failure.error);
    }
    this.fetching ??= this.client
      .getSigningKeys()
      .then(
        (keys) => {
          this.keys = new Map();
          for (const key of keys) {
            const entry = { pem: key.getPublicKey(), alg: key.alg };
            this.keys.set(key.kid, this.keys.has(key.kid) ? AMBIGUOUS : entry);
          }
          this.size = keys.length;
          this.fetchedAt = this.now();
          this.failure = undefined;
        },
        (error: unknown) => {
          const failure = error instanceof Error ? error : new Error(String(error));
          // Once per fetch (requests within the back-off get the same 503 unasked): the 503
          // alone told an operator nothing of why (found by a probe).
          logger.warn(`The JWKS keys could not be fetched: ${failure.message}`);
          this.failure = { at: this.now(), error: failure };
          throw failure;
        },
      )
      .finally(() => {
        this.fetching = undefined;
      });
    return this.fetching;
  }
}
