/**
 * @tscr/container/grpc — the Containers gRPC service over any
 * `ContainerService`, and the client that implements the same interface.
 */
export { createContainerServer, addContainerService } from './server.js';
export { GrpcContainerService } from './client.js';
