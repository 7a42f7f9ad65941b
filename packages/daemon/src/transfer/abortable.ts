import { cancelled } from '@tscr/api';

/**
 * `data` that fails with Cancelled as soon as `signal` aborts, even while it
 * waits for its next piece (a cancelled sender may never deliver another, nor end).
 */
export async function* abortable<T>(data: AsyncIterable<T>, signal: AbortSignal | undefined): AsyncGenerator<T> {
  if (!signal) {
    yield* data;
    return;
  }
  const it = data[Symbol.asyncIterator]();
  const aborted = new Promise<never>((_, reject) => {
    const fail = () => reject(cancelled('the sender cancelled the transfer'));
    if (signal.aborted) fail();
    else signal.addEventListener('abort', fail, { once: true });
  });
  aborted.catch(() => undefined);
  try {
    for (;;) {
      const r = await Promise.race([it.next(), aborted]);
      if (r.done) return;
      yield r.value;
    }
  } finally {
    void it.return?.(undefined)?.catch?.(() => undefined);
  }
}
