import { TscrError, isTscrError, type ErrorCode } from './errors.js';

/** Node errno codes and the tscr code each one means. The only such table. */
const ERRNO_CODES: Record<string, ErrorCode> = {
  ENOENT: 'NotFound',
  ENOTDIR: 'NotFound',
  EEXIST: 'AlreadyExists',
  ENOTEMPTY: 'FailedPrecondition',
  EBUSY: 'FailedPrecondition',
  EACCES: 'PermissionDenied',
  EPERM: 'PermissionDenied',
  EROFS: 'PermissionDenied',
  ENOSPC: 'ResourceExhausted',
  EDQUOT: 'ResourceExhausted',
  EFBIG: 'ResourceExhausted',
  // SQLite's own code for a full disk (better-sqlite3 errors carry it in `code`).
  SQLITE_FULL: 'ResourceExhausted',
  EMFILE: 'ResourceExhausted',
  ENFILE: 'ResourceExhausted',
  ENOMEM: 'ResourceExhausted',
  EINVAL: 'InvalidArgument',
  ENAMETOOLONG: 'InvalidArgument',
  ECONNREFUSED: 'Unavailable',
  ECONNRESET: 'Unavailable',
  EPIPE: 'Unavailable',
  ETIMEDOUT: 'DeadlineExceeded',
  ABORT_ERR: 'Cancelled',
};

/**
 * Wraps a Node system error (or anything thrown) as a {@link TscrError}.
 * A TscrError passes through unchanged; `context` prefixes the message.
 */
export function fromSystemError(err: unknown, context?: string): TscrError {
  if (isTscrError(err)) return err;
  const errno = (err as { code?: unknown } | null)?.code;
  const code: ErrorCode = (typeof errno === 'string' && ERRNO_CODES[errno]) || 'Internal';
  const text = err instanceof Error ? err.message : String(err);
  return new TscrError(code, context ? `${context}: ${text}` : text, {
    cause: err,
    details: typeof errno === 'string' ? { errno } : {},
  });
}

/** The errno code of a Node system error (`ENOENT`…), or undefined for anything else. */
export function errnoCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** True when `err` is a Node system error with one of `codes` (`isErrno(err, 'ENOENT', 'ENOTDIR')`). */
export function isErrno(err: unknown, ...codes: string[]): boolean {
  const code = errnoCode(err);
  return code !== undefined && codes.includes(code);
}
