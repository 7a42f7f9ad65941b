/**
 * @tscr/runtime/grpc — the Runtime gRPC service over any TaskRuntime, and a
 * TaskRuntime that talks to one.
 */
export { createRuntimeServer, addRuntimeService } from './server.js';
export { GrpcTaskRuntime } from './client.js';
