import type { OutputChunk } from '../types.js';

/**
 * A small bounded queue between producers (pipe readers) and one consumer
 * (an async iterator). `push` waits while the queue is full, so a consumer
 * that stops reading stops the producers, and through them the pipes and the
 * process that writes to them.
 */
export class OutputChannel implements AsyncIterable<OutputChunk> {
  private readonly items: OutputChunk[] = [];
  private readonly spaceWaiters: (() => void)[] = [];
  private dataWaiter: (() => void) | undefined;
  private closed = false;
  private failure: unknown;
  private cancelled = false;

  constructor(
    /** Chunks held before `push` waits. */
    private readonly capacity = 16,
    /** Called once when the consumer stops early (return/throw). */
    private readonly onCancel?: () => void,
  ) {}

  /** Queues a chunk; resolves once there is room. Returns false when the consumer has gone. */
  async push(chunk: OutputChunk): Promise<boolean> {
    while (!this.cancelled && this.items.length >= this.capacity) {
      await new Promise<void>((resolve) => this.spaceWaiters.push(resolve));
    }
    if (this.cancelled || this.closed) return false;
    this.items.push(chunk);
    this.wakeConsumer();
    return true;
  }

  /** No more chunks; with `err` the consumer sees it after the queued chunks. */
  close(err?: unknown): void {
    if (this.closed) return;
    this.closed = true;
    this.failure = err;
    this.wakeConsumer();
  }

  private wakeConsumer(): void {
    const w = this.dataWaiter;
    this.dataWaiter = undefined;
    w?.();
  }

  private wakeProducers(): void {
    for (const w of this.spaceWaiters.splice(0)) w();
  }

  private cancel(): void {
    if (this.cancelled) return;
    this.cancelled = true;
    this.items.length = 0;
    this.wakeProducers();
    this.onCancel?.();
  }

  [Symbol.asyncIterator](): AsyncIterator<OutputChunk> {
    return {
      next: async (): Promise<IteratorResult<OutputChunk>> => {
        for (;;) {
          const item = this.items.shift();
          if (item) {
            this.wakeProducers();
            return { value: item, done: false };
          }
          if (this.closed || this.cancelled) {
            if (this.failure !== undefined && !this.cancelled) {
              const err = this.failure;
              this.failure = undefined;
              throw err;
            }
            return { value: undefined, done: true };
          }
          await new Promise<void>((resolve) => {
            this.dataWaiter = resolve;
          });
        }
      },
      return: async (): Promise<IteratorResult<OutputChunk>> => {
        this.cancel();
        return { value: undefined, done: true };
      },
    };
  }
}

/** Copies `input` into `write` until it ends, then calls `end`; errors end it too. */
export async function pumpInput(
  input: AsyncIterable<Uint8Array>,
  write: (chunk: Uint8Array) => Promise<void>,
  end: () => void,
): Promise<void> {
  try {
    for await (const chunk of input) {
      if (chunk.length > 0) await write(chunk);
    }
  } catch {
    /* the caller's input failed: treat as its end */
  } finally {
    end();
  }
}
