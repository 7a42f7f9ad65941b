/**
 * The one mapping from TscrError codes to dockerd's HTTP statuses, and the
 * messages dockerd uses where clients look at them ("No such container: x").
 */
import { type ErrorCode, TscrError, errorCode, invalidArgument, isNotFound, notFound } from '@tscr/api';

const STATUS: Record<ErrorCode, number> = {
  Cancelled: 499,
  Unknown: 500,
  InvalidArgument: 400,
  DeadlineExceeded: 504,
  NotFound: 404,
  AlreadyExists: 409,
  PermissionDenied: 403,
  ResourceExhausted: 503,
  FailedPrecondition: 409,
  Aborted: 409,
  OutOfRange: 400,
  Unimplemented: 501,
  Internal: 500,
  Unavailable: 503,
  DataLoss: 500,
  Unauthenticated: 401,
};

/** The HTTP status dockerd answers for an error of this kind. */
export function httpStatus(err: unknown): number {
  if (isTscrHttpError(err)) return err.status;
  return STATUS[errorCode(err)];
}

/** The `{"message": …}` body of an error response. */
export function errorBody(err: unknown): { message: string } {
  return { message: err instanceof Error ? err.message : String(err) };
}

/** An error with an explicit HTTP status (413, 304…) that no TscrError code maps to. */
export class HttpError extends TscrError {
  constructor(
    readonly status: number,
    code: ErrorCode,
    message: string,
  ) {
    super(code, message);
  }
}

function isTscrHttpError(err: unknown): err is HttpError {
  return err instanceof HttpError;
}

/** 404 for an endpoint that does not exist (dockerd's text). */
export function pageNotFound(): HttpError {
  return new HttpError(404, 'NotFound', 'page not found');
}

/** 413 for a request body past the limit. */
export function bodyTooLarge(limit: number): HttpError {
  return new HttpError(413, 'ResourceExhausted', `request body too large (limit ${limit} bytes)`);
}

/** 408 for a request body that did not arrive in time (a client sending a byte now and then). */
export function bodyTimeout(ms: number): HttpError {
  return new HttpError(408, 'DeadlineExceeded', `request body not received within ${ms} ms`);
}

/** 400 for an option the daemon cannot honour; never silently ignored when it changes behaviour. */
export function unsupportedOption(name: string, detail = ''): TscrError {
  return invalidArgument(`unsupported option ${name}${detail ? `: ${detail}` : ''} (not implemented by tscrd)`, {
    details: { option: name },
  });
}

/** 501 for an endpoint whose backing service is not there yet. */
export function notImplementedEndpoint(what: string): TscrError {
  return new TscrError('Unimplemented', `not implemented by tscrd: ${what}`, { details: { feature: what } });
}

/** What a reference names, for dockerd's not-found texts. */
export type ObjectKind = 'container' | 'image' | 'volume' | 'network' | 'exec';

/** dockerd's message for a missing object. */
export function noSuch(kind: ObjectKind, ref: string): TscrError {
  switch (kind) {
    case 'container':
      return notFound(`No such container: ${ref}`, { details: { id: ref } });
    case 'image':
      return notFound(`No such image: ${ref}`, { details: { id: ref } });
    case 'volume':
      return notFound(`get ${ref}: no such volume`, { details: { name: ref } });
    case 'network':
      return notFound(`network ${ref} not found`, { details: { name: ref } });
    case 'exec':
      return notFound(`No such exec instance: ${ref}`, { details: { id: ref } });
  }
}

/**
 * Runs `fn`; a NotFound from it becomes dockerd's "No such <kind>: <ref>".
 * Only use where the NotFound can only be about `ref`.
 */
export async function about<T>(kind: ObjectKind, ref: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (isNotFound(err)) throw noSuch(kind, ref);
    throw err;
  }
}
