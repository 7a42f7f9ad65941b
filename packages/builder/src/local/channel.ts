/**
 * A queue between a producer and an async-iterating consumer, with
 * backpressure: `push` resolves once the queue is below `highWater`.
 */
export class Channel<T> {
  private readonly queue: T[] = [];
  private closed = false;
  private failure: unknown;
  private failed = false;
  private wakeConsumer: (() => void) | undefined;
  private readonly waitingProducers: (() => void)[] = [];

  constructor(private readonly highWater = 64) {}

  /** Queues a value; resolves when there is room again. */
  async push(value: T): Promise<void> {
    if (this.closed) return;
    this.queue.push(value);
    this.wake();
    if (this.queue.length >= this.highWater) await new Promise<void>((r) => this.waitingProducers.push(r));
  }

  /** Ends the stream (after what is queued), with an error if given. */
  close(err?: unknown): void {
    if (this.closed) return;
    this.closed = true;
    if (err !== undefined) {
      this.failed = true;
      this.failure = err;
    }
    this.wake();
  }

  private wake(): void {
    this.wakeConsumer?.();
    this.wakeConsumer = undefined;
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<T, void, undefined> {
    try {
      yield* this.drain();
    } finally {
      this.closed = true;
      for (const r of this.waitingProducers.splice(0)) r();
    }
  }

  private async *drain(): AsyncGenerator<T, void, undefined> {
    for (;;) {
      const next = this.queue.shift();
      if (this.queue.length < this.highWater) for (const r of this.waitingProducers.splice(0)) r();
      if (next !== undefined) {
        yield next;
        continue;
      }
      if (this.closed) {
        if (this.failed) throw this.failure;
        return;
      }
      await new Promise<void>((r) => (this.wakeConsumer = r));
    }
  }
}
