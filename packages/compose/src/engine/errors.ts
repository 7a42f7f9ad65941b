import { TscrError, errorCode, isTscrError } from '@tscr/api';

/** `err` (keeping its code) with a message that names the service and what it was doing. */
export function serviceError(service: string, doing: string, err: unknown): TscrError {
  const msg = err instanceof Error ? err.message : String(err);
  return new TscrError(errorCode(err), `service "${service}": ${doing}: ${msg}`, {
    cause: err,
    details: { ...(isTscrError(err) ? err.details : {}), service },
  });
}
