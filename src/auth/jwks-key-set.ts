import type { JwksClient } from 'jwks-rsa';

/** How long a fetched key set is trusted before it is fetched again. */
export const JWKS_MAX_AGE_MS = 10 * 60 * 1000;
/** The least time between two fetches asked for by a key id the set lacks (jose's default). */
export const JWKS_COOLDOWN_MS = 30 * 1000;
/** After a failed fetch, how long requests get that failure (503) without asking again. */
export const JWKS_FAILURE_BACKOFF_MS = 5 * 1000;

/**
 * The keys of a JWKS endpoint, fetched as a whole and kept together. jwks-rsa's own cache keeps
 * one key per `kid` asked for, behind a fetch budget (10 a minute) shared by every request: tokens
 * naming made-up key ids used the budget up, and a valid token whose key was not cached yet was
 * then refused (401). Here a key id the set lacks causes at most one fetch per `JWKS_COOLDOWN_MS`,
 * and every key of a fetch is known at once.
 */
export class JwksKeySet {
  private keys = new Map<string | undefined, string>();
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
    const age = this.now() - this.fetchedAt;
    if (age < JWKS_MAX_AGE_MS) {
      const known = this.find(kid);
      if (known !== undefined || age < JWKS_COOLDOWN_MS) return known;
    }
    await this.refresh();
    return this.find(kid);
  }

  private find(kid: string | undefined): string | undefined {
    if (kid !== undefined) return this.keys.get(kid);
    return this.keys.size === 1 ? [...this.keys.values()][0] : undefined;
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
          this.keys = new Map(keys.map((key) => [key.kid, key.getPublicKey()]));
          this.fetchedAt = this.now();
          this.failure = undefined;
        },
        (error: unknown) => {
          const failure = error instanceof Error ? error : new Error(String(error));
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
