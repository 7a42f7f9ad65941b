/**
 * The `tar` package as its own file of the bin (dist/vendor-tar.cjs; see tsup.config.ts): the bundle requires it
 * when a command that uses it runs, so the other commands neither read nor keep it.
 */
export * from 'tar';
