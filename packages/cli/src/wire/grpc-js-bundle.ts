/**
 * The real grpc-js as its own file of the bin (dist/grpc-js.cjs), which grpc-lite.ts requires the first time
 * something needs it (servers, client streams, calls with metadata). Kept out of dist/cli.cjs, it is not read,
 * nor part of the code cache, on the runs that never use it (most of them: ~0.4 MB of the bundle).
 */
export * from '@grpc/grpc-js';
