/**
 * @tscr/network/grpc — the network layer on the wire: a server that wraps
 * any `NetworkService` and a client that implements it.
 */
export { createNetworkServer, addNetworkService } from './server.js';
export { GrpcNetworkService } from './client.js';
