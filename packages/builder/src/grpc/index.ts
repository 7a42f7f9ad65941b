/**
 * @tscr/builder/grpc — the builder over gRPC: a server that serves any
 * BuilderService and a client that is one. Only this entry loads grpc-js.
 */
export { createBuilderServer, addBuilderService } from './server.js';
export type { BuilderServerOptions } from './server.js';
export { GrpcBuilderService } from './client.js';
export type { GrpcBuilderServiceOptions } from './client.js';
