/**
 * Node builtins a few commands need, loaded when first used rather than with
 * the CLI. Not `import()`: the bin runs the bundle in a `vm.Script`, where a
 * dynamic import of a module outside the bundle fails.
 */
import { createRequire } from 'node:module';

const load = createRequire(import.meta.url);

/** `node:child_process`, for `stty` in terminal sessions. */
export const childProcess = (): typeof import('node:child_process') => load('node:child_process');

/** `node:crypto`, for temporary file names. */
export const crypto = (): typeof import('node:crypto') => load('node:crypto');
