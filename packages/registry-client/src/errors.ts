import { TscrError, type TscrErrorOptions } from '@tscr/api';

/**
 * The error constructors of the registry client that `@tscr/api` has no
 * shorthand for. Every error names what it was about in `details`
 * (`ref`, `digest`, `registry`), never only in its message.
 */

/** Content that does not match its digest, or was cut short. */
export const dataLoss = (msg: string, o?: TscrErrorOptions) => new TscrError('DataLoss', msg, o);
/** Content larger than allowed (a manifest over 4 MiB, a blob over its declared size limit). */
export const resourceExhausted = (msg: string, o?: TscrErrorOptions) => new TscrError('ResourceExhausted', msg, o);
/** The registry wants credentials we do not have, or rejected the ones we sent. */
export const unauthenticated = (msg: string, o?: TscrErrorOptions) => new TscrError('Unauthenticated', msg, o);
/** Authenticated, but not allowed (HTTP 403). */
export const permissionDenied = (msg: string, o?: TscrErrorOptions) => new TscrError('PermissionDenied', msg, o);
