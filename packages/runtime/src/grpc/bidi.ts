import type { ClientDuplexStream, ServerDuplexStream } from '@grpc/grpc-js';
import { cancelled } from '@tscr/api';
import { fromStatus, toStatus } from '@tscr/api/grpc';

/** What a bidi handler learns about its call. */
export interface BidiContext {
  /** Aborted when the client cancels or disconnects. */
  signal: AbortSignal;
}

/** Writes one message, waiting for 'drain' when grpc-js buffers (HTTP/2 flow control). */
function writeWithBackpressure<T>(
  stream: { write(m: T): boolean; once(e: 'drain', f: () => void): unknown; off(e: 'drain', f: () => void): unknown },
  msg: T,
  signal: AbortSignal,
): Promise<void> {
  if (stream.write(msg)) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const done = () => {
      stream.off('drain', done);
      signal.removeEventListener('abort', done);
      resolve();
    };
    stream.once('drain', done);
    signal.addEventListener('abort', done, { once: true });
  });
}

/**
 * Adapts `fn` (requests in, responses out) to a grpc-js bidi handler.
 * Responses wait for 'drain', so a slow client stops `fn`; errors become the
 * call's status.
 */
export function bidiHandler<Req, Res>(fn: (requests: AsyncIterable<Req>, ctx: BidiContext) => AsyncIterable<Res>) {
  return (call: ServerDuplexStream<Req, Res>): void => {
    const ac = new AbortController();
    call.on('cancelled', () => ac.abort(new Error('client cancelled the call')));
    call.on('error', () => ac.abort(new Error('call failed')));
    const ctx = { signal: ac.signal };
    void (async () => {
      try {
        for await (const msg of fn(call as AsyncIterable<Req>, ctx)) {
          if (ac.signal.aborted) return;
          await writeWithBackpressure(call, msg, ac.signal);
        }
        if (!ac.signal.aborted) call.end();
      } catch (err) {
        if (!ac.signal.aborted) call.emit('error', Object.assign(new Error(), toStatus(err)));
      }
    })();
  };
}

/**
 * A bidi call: writes `requests` (with backpressure, then half-closes) while
 * the returned iterator yields responses. Leaving the iterator early, or
 * aborting `signal`, cancels the call.
 */
export async function* callBidi<Req, Res>(
  start: () => ClientDuplexStream<Req, Res>,
  requests: AsyncIterable<Req>,
  signal: AbortSignal | undefined,
  target: string,
): AsyncGenerator<Res, void, undefined> {
  if (signal?.aborted) throw cancelled('call cancelled');
  const call = start();
  const onAbort = () => call.cancel();
  signal?.addEventListener('abort', onAbort, { once: true });
  const local = new AbortController();
  void (async () => {
    try {
      for await (const msg of requests) {
        if (local.signal.aborted) return;
        await writeWithBackpressure(call, msg, local.signal);
      }
      if (!local.signal.aborted) call.end();
    } catch {
      call.cancel();
    }
  })();
  try {
    for await (const msg of call as AsyncIterable<Res>) yield msg;
  } catch (err) {
    if (signal?.aborted) throw cancelled('call cancelled');
    throw fromStatus(err, target);
  } finally {
    local.abort();
    signal?.removeEventListener('abort', onAbort);
    call.cancel();
  }
}

/** The stdin part of a request stream: `stdin` chunks until `closeStdin` or the stream's end. */
export async function* stdinOf(
  it: AsyncIterator<{ stdin?: Buffer | undefined; closeStdin?: boolean | undefined }>,
): AsyncGenerator<Uint8Array> {
  for (;;) {
    const r = await it.next();
    if (r.done || r.value.closeStdin) return;
    if (r.value.stdin?.length) yield r.value.stdin;
  }
}
