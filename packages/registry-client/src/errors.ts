/**
 * The error constructors the registry client uses beyond the common ones; they live in `@tscr/api`
 * with every other factory (re-exported here for the modules that import them from this file).
 * Every error names what it was about in `details` (`ref`, `digest`, `registry`), never only in its message.
 */
export { dataLoss, permissionDenied, resourceExhausted, unauthenticated } from '@tscr/api';
