import { Metadata, status, type ServiceError, type StatusObject } from '@grpc/grpc-js';
import { ErrorCodes, TscrError, fromSystemError, type ErrorCode } from '@tscr/api';

/**
 * Metadata key carrying a TscrError's details across the wire (JSON). Every
 * error a tscr server raises carries it, so a client can tell a server's own
 * Unavailable (an unreachable registry) from a channel that is down.
 */
const DETAILS_KEY = 'tscr-error-details';

/** ErrorCodes are listed in gRPC status order, starting at CANCELLED = 1. */
export function codeToStatus(code: ErrorCode): status {
  return (ErrorCodes.indexOf(code) + 1) as status;
}

/** The tscr code of a gRPC status number; anything unknown is `Unknown`. */
export function statusToCode(value: number): ErrorCode {
  return ErrorCodes[value - 1] ?? 'Unknown';
}

/** `value` as JSON with every character outside printable ASCII escaped (`\u00e9`). */
function asciiJson(value: unknown): string {
  return JSON.stringify(value).replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Server side: any thrown value to the status object grpc-js sends. */
export function toStatus(err: unknown): Partial<StatusObject> {
  const e = fromSystemError(err);
  const metadata = new Metadata();
  // Metadata values must be printable ASCII: details often echo what a client sent (a name with
  // any characters in it), so everything else travels as JSON \u escapes.
  metadata.set(DETAILS_KEY, asciiJson(e.details));
  return { code: codeToStatus(e.code), details: e.message, metadata };
}

/** Client side: a grpc-js error back to the TscrError the server raised. */
export function fromStatus(err: unknown, target?: string): TscrError {
  const se = err as Partial<ServiceError> | undefined;
  if (typeof se?.code !== 'number') return fromSystemError(err);
  const raw = se.metadata?.get(DETAILS_KEY)[0];
  let details: Record<string, string> = {};
  if (typeof raw === 'string') {
    try {
      details = JSON.parse(raw) as Record<string, string>;
    } catch {
      details = {};
    }
  }
  const raisedByServer = raw !== undefined;
  if (se.code === status.UNAVAILABLE && target && !raisedByServer) {
    return new TscrError('Unavailable', `cannot reach the tscr daemon at ${target}: ${se.details ?? ''}`, {
      cause: err,
      details: { ...details, address: target },
    });
  }
  return new TscrError(statusToCode(se.code), se.details || se.message || 'error', { cause: err, details });
}
