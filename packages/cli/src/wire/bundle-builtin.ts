/**
 * What the bin's bundle gets for `src/builtin.ts` (tsup.config.ts points its imports here): the bundle is
 * CommonJS, run with the bin's own `require`, so it needs neither `node:module` (its ESM loader, ~0.5 ms to
 * load) nor `import.meta.url` (a URL built at load by tsup's shim) to reach a builtin.
 */
import type * as Builtin from '../builtin.js';

/** `node:child_process`, for `stty` in terminal sessions. */
export const childProcess: typeof Builtin.childProcess = () => require('node:child_process');

/** `node:crypto`, for temporary file names. */
export const crypto: typeof Builtin.crypto = () => require('node:crypto');
