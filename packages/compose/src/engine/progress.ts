/** Progress of one operation: each resource's steps, timed from when the resource's step began. */
import type { ProgressEvent, ProgressSink, ProgressState } from './types.js';

/** One resource's line. */
export interface Line {
  /** Reports a state; `done` for a final one. */
  set(state: ProgressState, done?: boolean, text?: string): void;
}

/** Hands out {@link Line}s that report to a sink (or nowhere). */
export class Progress {
  constructor(private readonly sink?: ProgressSink) {}

  line(kind: ProgressEvent['kind'], name: string): Line {
    const start = Date.now();
    return {
      set: (state, done = false, text) => {
        this.sink?.({ kind, name, state, done, elapsedMs: Date.now() - start, ...(text !== undefined && { text }) });
      },
    };
  }

  /** Runs `fn` between a `doing` and a `done` state; reports `Error` (and rethrows) when it fails. */
  async step<T>(
    kind: ProgressEvent['kind'],
    name: string,
    doing: ProgressState,
    done: ProgressState,
    fn: () => Promise<T>,
  ): Promise<T> {
    const l = this.line(kind, name);
    l.set(doing);
    try {
      const v = await fn();
      l.set(done, true);
      return v;
    } catch (err) {
      l.set('Error', true, (err as Error).message);
      throw err;
    }
  }
}

/**
 * Runs an operation that reports progress and yields its events as an
 * AsyncIterable (ending when the operation ends; its error is thrown at the end).
 */
export async function* progressStream(run: (sink: ProgressSink) => Promise<unknown>): AsyncGenerator<ProgressEvent> {
  const queue: ProgressEvent[] = [];
  let wake: (() => void) | undefined;
  let finished = false;
  let failure: unknown;
  const p = run((e) => {
    queue.push(e);
    wake?.();
  }).then(
    () => {
      finished = true;
      wake?.();
    },
    (err: unknown) => {
      failure = err;
      finished = true;
      wake?.();
    },
  );
  for (;;) {
    while (queue.length) yield queue.shift()!;
    if (finished) break;
    await new Promise<void>((r) => {
      wake = r;
    });
    wake = undefined;
  }
  await p;
  if (failure) throw failure;
}
