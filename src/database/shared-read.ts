/**
 * One read shared by everyone who asks for it while it waits to be sent. A caller never joins a
 * read already in flight (it was sent before the caller asked, so it could miss a write committed
 * since): it joins the next one, sent when the one in flight settles. So every caller gets a value
 * read after it asked, as if it had read alone, and under load a burst of callers costs one
 * statement instead of one each. At most one read is in flight and one waits. A read runs under
 * the earliest deadline of the callers it serves (database-timeouts.ts), so sharing never makes a
 * caller wait past its own.
 */
export class SharedRead<T> {
  private inFlight = false;
  private next?: {
    readonly promise: Promise<T>;
    readonly resolve: (value: T) => void;
    readonly reject: (error: unknown) => void;
    deadline?: number;
  };

  constructor(private readonly read: (deadline?: number) => Promise<T>) {}

  /** A value read after this call, within `deadline` when one is given. */
  get(deadline?: number): Promise<T> {
    if (!this.inFlight) return this.start(deadline);
    if (this.next === undefined) {
      let resolve!: (value: T) => void;
      let reject!: (error: unknown) => void;
      const promise = new Promise<T>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      this.next = { promise, resolve, reject, deadline };
    } else {
      this.next.deadline = earliest(this.next.deadline, deadline);
    }
    return this.next.promise;
  }

  private start(deadline: number | undefined): Promise<T> {
    this.inFlight = true;
    // Sent now (an async function runs to its first await at once); a throw becomes a rejection.
    const read = (async () => this.read(deadline))();
    const settled = (): void => {
      this.inFlight = false;
      const next = this.next;
      if (next === undefined) return;
      this.next = undefined;
      this.start(next.deadline).then(next.resolve, next.reject);
    };
    read.then(settled, settled);
    return read;
  }
}

function earliest(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Math.min(a, b);
}
