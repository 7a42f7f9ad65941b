/**
 * @tscr/runtime/grpc — the Runtime gRPC service over any TaskRuntime, and a
 * TaskRuntime that talks to one.
 */
export { createRuntimeServer, addRuntimeService } from './server.js';
export { GrpcTaskRuntime } from './client.js';
export { bidiHandler, callBidi, stdinOf } from './bidi.js';
export type { BidiContext } from './bidi.js';
export {
  resourcesToProto,
  resourcesFromProto,
  resourcesEmpty,
  securityToProto,
  securityFromProto,
  securityEmpty,
} from './resources-convert.js';
