import type { ClientReadableStream, ClientUnaryCall, ClientWritableStream, ServiceError } from '@grpc/grpc-js';
import { type TscrError, cancelledBy } from '@tscr/api';
import { fromStatus } from './status.js';

import type { CallOptions } from '../types/call.js';

export type { CallOptions };

function abortError(signal: AbortSignal): TscrError {
  return cancelledBy(signal);
}

/**
 * Runs one unary call and turns its status into a TscrError.
 * `start` issues the call with the callback it is given.
 */
export function callUnary<Res>(
  start: (cb: (err: ServiceError | null, res?: Res) => void) => ClientUnaryCall,
  opts: CallOptions = {},
  target?: string,
): Promise<Res> {
  const { signal } = opts;
  if (signal?.aborted) return Promise.reject(abortError(signal));
  return new Promise<Res>((resolve, reject) => {
    const onAbort = () => call.cancel();
    const call = start((err, res) => {
      signal?.removeEventListener('abort', onAbort);
      if (err) reject(signal?.aborted ? abortError(signal) : fromStatus(err, target));
      else resolve(res as Res);
    });
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * A server-streaming call as an AsyncIterable. Reading pulls from the
 * stream, so a slow consumer applies HTTP/2 flow control back to the server.
 */
export async function* callServerStream<Res>(
  start: () => ClientReadableStream<Res>,
  opts: CallOptions = {},
  target?: string,
): AsyncGenerator<Res, void, undefined> {
  const { signal } = opts;
  if (signal?.aborted) throw abortError(signal);
  const call = start();
  const onAbort = () => call.cancel();
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    for await (const msg of call as AsyncIterable<Res>) yield msg;
  } catch (err) {
    if (signal?.aborted) throw abortError(signal);
    throw fromStatus(err, target);
  } finally {
    signal?.removeEventListener('abort', onAbort);
    call.cancel();
  }
}

/**
 * A client-streaming call: writes every message of `source`, honouring
 * backpressure (waits for 'drain'), then resolves with the single response.
 */
export function callClientStream<Req, Res>(
  start: (cb: (err: ServiceError | null, res?: Res) => void) => ClientWritableStream<Req>,
  source: AsyncIterable<Req> | Iterable<Req>,
  opts: CallOptions = {},
  target?: string,
): Promise<Res> {
  const { signal } = opts;
  if (signal?.aborted) return Promise.reject(abortError(signal));
  return new Promise<Res>((resolve, reject) => {
    let settled = false;
    let wakeWriter: (() => void) | undefined;
    const onAbort = () => call.cancel();
    const call = start((err, res) => {
      settled = true;
      wakeWriter?.();
      signal?.removeEventListener('abort', onAbort);
      if (err) reject(signal?.aborted ? abortError(signal) : fromStatus(err, target));
      else resolve(res as Res);
    });
    signal?.addEventListener('abort', onAbort, { once: true });
    void (async () => {
      try {
        for await (const msg of source) {
          if (settled) return;
          if (!call.write(msg)) {
            // Wait for 'drain', or for the call to end early (the server rejected it).
            await new Promise<void>((r) => {
              wakeWriter = () => {
                call.off('drain', wakeWriter as () => void);
                wakeWriter = undefined;
                r();
              };
              call.once('drain', wakeWriter);
            });
          }
        }
        call.end();
      } catch (err) {
        call.cancel();
        if (!settled) {
          settled = true;
          reject(err);
        }
      }
    })();
  });
}
