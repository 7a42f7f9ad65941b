/**
 * What the bin's bundle gets for the CRI's generated messages (`criV1` of `@tscr/api/grpc`, see tsup.config.ts):
 * nothing. The CLI never speaks the CRI, and evaluating its messages (~0.5 MB of source) cost every command
 * that loads `@tscr/api/grpc` time and code-cache size. Only the bundle uses this module.
 */
export {};
