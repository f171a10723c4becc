import { ConflictError, ValidationFailedError } from '../common/api-error';
import {
  IDEMPOTENCY_KEY_HEADER,
  IDEMPOTENCY_MESSAGES,
  requestFingerprint,
} from './idempotency-key';
import {
  findRecordedAnswer,
  insertRecordedAnswer,
  isDuplicateKey,
  purgeExpiredAnswers,
  type SqlRunner,
} from './idempotency.store';

/** Every this many recorded answers, the expired ones go (in that write's transaction). */
const PURGE_EVERY = 100;
let recordedSincePurge = 0;

/**
 * One request's `Idempotency-Key`, as a write uses it (the plain interface of this module): in its
 * transaction, first `recorded()` (the first attempt's answer to return instead of writing), last
 * `record()` (this answer, committed with the write, so a client cut off after the commit still
 * gets it on retry); after a failed transaction, `recordedMeanwhile()` (a concurrent request with
 * the same key won the race).
 *
 * A JSON body is described by `@IdempotencyOf()`; a write that reads its body itself (a multipart
 * upload) calls `describe()` with what it read before `recorded()`.
 */
export class IdempotencyClaim {
  private fingerprint?: string;
  private wasReplayed = false;

  constructor(
    private readonly keyHash: string,
    private readonly method: string,
    private readonly route: string,
    private readonly reader: SqlRunner,
  ) {}

  /** Whether the answer is the first attempt's, replayed. */
  get replayed(): boolean {
    return this.wasReplayed;
  }

  /** Says what the request's body was (compared with the first attempt's). */
  describe(body: unknown): void {
    this.fingerprint = requestFingerprint(this.method, this.route, body);
  }

  /** The first attempt's answer, if this request is a retry of it; 422 for another request. */
  async recorded<T>(runner: SqlRunner): Promise<T | undefined> {
    const answer = await findRecordedAnswer(runner, this.keyHash);
    if (answer === undefined) return undefined;
    if (answer.requestHash !== this.requestHash()) {
      throw ValidationFailedError.of(IDEMPOTENCY_KEY_HEADER, IDEMPOTENCY_MESSAGES.reused);
    }
    this.wasReplayed = true;
    return answer.result as T;
  }

  /** Keeps `result` as the key's answer, in the write's transaction. */
  async record(runner: SqlRunner, result: unknown): Promise<void> {
    await insertRecordedAnswer(runner, this.keyHash, this.requestHash(), result);
    recordedSincePurge += 1;
    if (recordedSincePurge >= PURGE_EVERY) {
      recordedSincePurge = 0;
      await purgeExpiredAnswers(runner);
    }
  }

  /**
   * After the write's transaction failed with `error`: when a concurrent request with the same key
   * recorded its answer first, that answer (or 422 if it was another request); otherwise undefined,
   * and the error stands. The race shows as the recording insert hitting the key (a create), or as
   * the write's own unique key, which it answers 409 (an attach: the link's insert waits for the
   * winner's commit, so its answer is visible by then).
   */
  async recordedMeanwhile<T>(error: unknown): Promise<T | undefined> {
    if (!isDuplicateKey(error) && !(error instanceof ConflictError)) return undefined;
    return this.recorded<T>(this.reader);
  }

  private requestHash(): string {
    if (this.fingerprint === undefined)
      throw new Error('IdempotencyClaim: describe() the body first');
    return this.fingerprint;
  }
}
