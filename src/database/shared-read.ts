/**
 * One read shared by everyone who asks for it while it waits to be sent. A caller never joins a
 * read already in flight (it was sent before the caller asked, so it could miss a write committed
 * since): it joins the next one, sent when the one in flight settles. So every caller gets a value
 * read after it asked, as if it had read alone, and under load a burst of callers costs one
 * statement instead of one each. At most one read is in flight and one waits.
 */
export class SharedRead<T> {
  private inFlight = false;
  private next?: {
    readonly promise: Promise<T>;
    readonly resolve: (value: T) => void;
    readonly reject: (error: unknown) => void;
  };

  constructor(private readonly read: () => Promise<T>) {}

  /** A value read after this call. */
  get(): Promise<T> {
    if (!this.inFlight) return this.start();
    if (this.next === undefined) {
      let resolve!: (value: T) => void;
      let reject!: (error: unknown) => void;
      const promise = new Promise<T>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      this.next = { promise, resolve, reject };
    }
    return this.next.promise;
  }

  private start(): Promise<T> {
    this.inFlight = true;
    // Sent now (an async function runs to its first await at once); a throw becomes a rejection.
    const read = (async () => this.read())();
    const settled = (): void => {
      this.inFlight = false;
      const next = this.next;
      if (next === undefined) return;
      this.next = undefined;
      this.start().then(next.resolve, next.reject);
    };
    read.then(settled, settled);
    return read;
  }
}
