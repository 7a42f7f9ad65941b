/**
 * @tscr/container/grpc — the Containers gRPC service over any
 * `ContainerService`, and the client that implements the same interface.
 */
export { createContainerServer, addContainerService } from './server.js';
export { GrpcContainerService } from './client.js';
export { configFromProto, hostConfigFromProto } from './convert.js';
export { endpointsFromProto } from './network-convert.js';
