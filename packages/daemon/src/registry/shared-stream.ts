import { cancelled, throwIfCancelled } from '@tscr/api';

/**
 * One producer read by many: every reader sees every item from the start
 * (items are few and small: progress reports), and the end or the error of
 * the producer. The producer is aborted when its last reader leaves early.
 */
export class SharedStream<T> {
  private readonly items: T[] = [];
  private readonly waiters = new Set<() => void>();
  private readonly ctrl = new AbortController();
  private readers = 0;
  private ended = false;
  private failure: { error: unknown } | undefined;
  /** Settles when the producer has finished (never rejects). */
  readonly done: Promise<void>;

  /** Starts `produce` at once. */
  constructor(produce: (signal: AbortSignal) => AsyncIterable<T>) {
    this.done = (async () => {
      try {
        for await (const item of produce(this.ctrl.signal)) {
          this.items.push(item);
          this.wake();
        }
      } catch (err) {
        this.failure = { error: err };
      }
      this.ended = true;
      this.wake();
    })();
  }

  /** True once the producer finished without an error. */
  get succeeded(): boolean {
    return this.ended && !this.failure;
  }

  /** Every item so far and to come. @throws what the producer threw; Cancelled when `signal` aborts. */
  async *read(signal?: AbortSignal): AsyncGenerator<T, void, undefined> {
    this.readers += 1;
    try {
      for (let i = 0; ; ) {
        throwIfCancelled(signal);
        if (i < this.items.length) {
          yield this.items[i++] as T;
          continue;
        }
        if (this.ended) {
          if (this.failure) throw this.failure.error;
          return;
        }
        await this.next(signal);
      }
    } finally {
      this.readers -= 1;
      if (this.readers === 0 && !this.ended) this.ctrl.abort(cancelled('every reader left'));
    }
  }

  private next(signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve) => {
      const wake = () => {
        this.waiters.delete(wake);
        signal?.removeEventListener('abort', wake);
        resolve();
      };
      this.waiters.add(wake);
      signal?.addEventListener('abort', wake, { once: true });
    });
  }

  private wake(): void {
    for (const w of [...this.waiters]) w();
  }
}
