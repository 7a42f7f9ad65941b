import { cancelled, isTscrError } from '@tscr/api';
import type { HttpRequest, HttpResponse, HttpTransport } from './http.js';

/** How {@link withRetries} retries. */
export interface RetryOptions {
  /** Extra attempts after the first. Default 3. */
  retries?: number;
  /** First backoff in milliseconds, doubled each time (with jitter). Default 200. */
  baseDelayMs?: number;
}

/** Network errors worth another attempt: the connection broke, not "no such host". */
const RETRYABLE_ERRNO = new Set(['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ECONNABORTED']);

/** True for a failure another attempt may cure (a reset connection). */
export function isRetryableError(err: unknown): boolean {
  return isTscrError(err) && err.code === 'Unavailable' && RETRYABLE_ERRNO.has(err.details.errno ?? '');
}

/** Sleeps `ms`, or rejects with Cancelled when `signal` aborts first. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(cancelled('cancelled while waiting to retry'));
    const onAbort = () => {
      clearTimeout(timer);
      reject(cancelled('cancelled while waiting to retry'));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * A transport that retries a request with exponential backoff when the
 * server answers 5xx or the connection is reset. Requests whose body is a
 * stream cannot be replayed and are sent once.
 */
export function withRetries(inner: HttpTransport, options: RetryOptions = {}): HttpTransport {
  const retries = options.retries ?? 3;
  const base = options.baseDelayMs ?? 200;
  return {
    async send(req: HttpRequest): Promise<HttpResponse> {
      const replayable = req.body === undefined || req.body instanceof Uint8Array;
      for (let attempt = 0; ; attempt++) {
        const last = !replayable || attempt >= retries;
        let res: HttpResponse;
        try {
          res = await inner.send(req);
        } catch (err) {
          if (last || !isRetryableError(err)) throw err;
          await sleep(backoff(base, attempt), req.signal);
          continue;
        }
        if (res.status < 500 || res.status === 501 || last) return res;
        res.discard();
        await sleep(backoff(base, attempt), req.signal);
      }
    },
  };
}

function backoff(base: number, attempt: number): number {
  return base * 2 ** attempt * (0.75 + Math.random() / 2);
}
