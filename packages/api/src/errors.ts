/**
 * The one error family of tscr. Every layer throws `TscrError` with a `code`
 * from a closed set aligned with gRPC status codes, so an error keeps its
 * meaning after it crosses the wire (see `grpc/status.ts` for the mapping).
 * Callers match on `code` (or the predicates below), never on message text.
 */

/** The closed set of error codes, named after gRPC status codes. */
export const ErrorCodes = [
  'Cancelled',
  'Unknown',
  'InvalidArgument',
  'DeadlineExceeded',
  'NotFound',
  'AlreadyExists',
  'PermissionDenied',
  'ResourceExhausted',
  'FailedPrecondition',
  'Aborted',
  'OutOfRange',
  'Unimplemented',
  'Internal',
  'Unavailable',
  'DataLoss',
  'Unauthenticated',
] as const;

/** One of {@link ErrorCodes}. */
export type ErrorCode = (typeof ErrorCodes)[number];

/** Options for {@link TscrError}. */
export interface TscrErrorOptions {
  /** The underlying error, kept for diagnostics; never matched on. */
  cause?: unknown;
  /** Machine-readable details (for example the name that was not found). */
  details?: Record<string, string>;
}

/** The error every tscr API raises. */
export class TscrError extends Error {
  /** Stable, machine-matchable code. */
  readonly code: ErrorCode;
  /** Extra key/value facts about the failure; survive gRPC. */
  readonly details: Record<string, string>;

  constructor(code: ErrorCode, message: string, options: TscrErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'TscrError';
    this.code = code;
    this.details = options.details ?? {};
  }

  /** JSON form used by the CLI's `--format json` error output and logs. */
  toJSON(): { code: ErrorCode; message: string; details: Record<string, string> } {
    return { code: this.code, message: this.message, details: this.details };
  }
}

/** True when `value` is a {@link TscrError} (across package copies too). */
export function isTscrError(value: unknown): value is TscrError {
  return (
    value instanceof TscrError ||
    (value instanceof Error &&
      value.name === 'TscrError' &&
      (ErrorCodes as readonly unknown[]).includes((value as { code?: unknown }).code))
  );
}

/** The code of any thrown value: a TscrError's own, else `Unknown`. */
export function errorCode(value: unknown): ErrorCode {
  return isTscrError(value) ? value.code : 'Unknown';
}

function hasCode(code: ErrorCode) {
  return (value: unknown): value is TscrError => isTscrError(value) && value.code === code;
}

export const isNotFound = hasCode('NotFound');
export const isAlreadyExists = hasCode('AlreadyExists');
export const isInvalidArgument = hasCode('InvalidArgument');
export const isFailedPrecondition = hasCode('FailedPrecondition');
export const isUnavailable = hasCode('Unavailable');
export const isUnimplemented = hasCode('Unimplemented');
export const isCancelled = hasCode('Cancelled');
export const isPermissionDenied = hasCode('PermissionDenied');

/** Shorthands so call sites read as sentences: `throw notFound('no such image: x')`. */
export const notFound = (msg: string, o?: TscrErrorOptions) => new TscrError('NotFound', msg, o);
export const alreadyExists = (msg: string, o?: TscrErrorOptions) => new TscrError('AlreadyExists', msg, o);
export const invalidArgument = (msg: string, o?: TscrErrorOptions) => new TscrError('InvalidArgument', msg, o);
export const failedPrecondition = (msg: string, o?: TscrErrorOptions) => new TscrError('FailedPrecondition', msg, o);
export const unavailable = (msg: string, o?: TscrErrorOptions) => new TscrError('Unavailable', msg, o);
export const internal = (msg: string, o?: TscrErrorOptions) => new TscrError('Internal', msg, o);
export const cancelled = (msg: string, o?: TscrErrorOptions) => new TscrError('Cancelled', msg, o);
/** Content that does not match its digest, or was cut short. */
export const dataLoss = (msg: string, o?: TscrErrorOptions) => new TscrError('DataLoss', msg, o);
/** Too much of something: content over a size limit, a reader too far behind, no space left. */
export const resourceExhausted = (msg: string, o?: TscrErrorOptions) => new TscrError('ResourceExhausted', msg, o);
/** Credentials are missing or were rejected. */
export const unauthenticated = (msg: string, o?: TscrErrorOptions) => new TscrError('Unauthenticated', msg, o);
/** Authenticated (or local), but not allowed. */
export const permissionDenied = (msg: string, o?: TscrErrorOptions) => new TscrError('PermissionDenied', msg, o);

/**
 * The error for a feature that is named in the API but not built yet.
 * `what` names the feature, so users and tests can see exactly what is missing.
 */
export function unimplemented(what: string): TscrError {
  return new TscrError('Unimplemented', `unimplemented: ${what}`, { details: { feature: what } });
}
