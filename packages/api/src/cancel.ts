import { cancelled, type TscrError } from './errors.js';

/** The Cancelled error for an aborted `signal`: `<what> cancelled`, with the abort reason when it is an Error. */
export function cancelledBy(signal: AbortSignal, what = 'call'): TscrError {
  const reason = signal.reason instanceof Error ? signal.reason : undefined;
  return cancelled(`${what} cancelled${reason ? `: ${reason.message}` : ''}`, reason ? { cause: reason } : {});
}

/**
 * The one cancellation check of every layer: throws Cancelled when `signal` has been aborted.
 * @throws Cancelled (`<what> cancelled`).
 */
export function throwIfCancelled(signal: AbortSignal | undefined, what = 'call'): void {
  if (signal?.aborted) throw cancelledBy(signal, what);
}
