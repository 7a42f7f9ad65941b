import type { Progress } from '../types.js';

/**
 * A queue of progress reports written by concurrent tasks and read as one
 * AsyncIterable. Reports are small and few (one per state change and at
 * most one per MiB moved and 100 ms, see {@link counted}), so the queue
 * needs no bound of its own.
 */
export class ProgressChannel {
  private readonly queue: Progress[] = [];
  private wake: (() => void) | undefined;
  private done = false;
  private failure: { error: unknown } | undefined;

  push(p: Progress): void {
    this.queue.push(p);
    this.notify();
  }

  /** Ends the stream, with `error` raised to the reader after what is queued. */
  close(error?: unknown): void {
    this.done = true;
    if (error !== undefined) this.failure = { error };
    this.notify();
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Progress, void, undefined> {
    for (;;) {
      const next = this.queue.shift();
      if (next) {
        yield next;
        continue;
      }
      if (this.done) {
        if (this.failure) throw this.failure.error;
        return;
      }
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  private notify(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }
}

/**
 * Passes `source` through, reporting bytes moved at most once per `step`
 * bytes and, as docker's progress reader, at most once per `everyMs`
 * milliseconds: each report is a message the daemon encodes and every
 * watching client decodes (a 121 MB layer made ~120 of them a pull, ~40 ms
 * of CPU between the two), while a progress bar needs no more than ten a
 * second. `now` is the clock (tests pass their own).
 */
export async function* counted(
  source: AsyncIterable<Uint8Array>,
  report: (current: number) => void,
  step = 1 << 20,
  everyMs = 100,
  now: () => number = () => performance.now(),
): AsyncGenerator<Uint8Array, void, undefined> {
  let n = 0;
  let last = 0;
  let lastAt = Number.NEGATIVE_INFINITY;
  for await (const chunk of source) {
    n += chunk.byteLength;
    if (n - last >= step) {
      const t = now();
      if (t - lastAt >= everyMs) {
        last = n;
        lastAt = t;
        report(n);
      }
    }
    yield chunk;
  }
}

/** What a {@link reportProgress} task gets: where to report, and its own cancellation. */
export interface ProgressTask {
  channel: ProgressChannel;
  /** Aborted when the caller's signal fires, the reader stops early, or the task calls `abort`. */
  signal: AbortSignal;
  /** Cancels the task's remaining work (say, sibling downloads after one failed). */
  abort(): void;
}

/**
 * Runs `work` and yields the progress it reports as it happens; `work`'s
 * failure is raised after what it reported. Stopping the iteration early, or
 * the caller's `signal`, cancels `work`.
 */
export async function* reportProgress(
  callerSignal: AbortSignal | undefined,
  work: (task: ProgressTask) => Promise<void>,
): AsyncGenerator<Progress, void, undefined> {
  const ctrl = new AbortController();
  const onAbort = () => ctrl.abort(callerSignal?.reason);
  if (callerSignal?.aborted) onAbort();
  callerSignal?.addEventListener('abort', onAbort, { once: true });
  const channel = new ProgressChannel();
  work({ channel, signal: ctrl.signal, abort: () => ctrl.abort() }).then(
    () => channel.close(),
    (err: unknown) => channel.close(err),
  );
  try {
    yield* channel;
  } finally {
    ctrl.abort();
    callerSignal?.removeEventListener('abort', onAbort);
  }
}
