/**
 * @tscr/network — networks and how containers join them. Built so far: the
 * predefined `none` and `host` networks. The gRPC server and client live in
 * `@tscr/network/grpc`.
 */
export type { CallOptions, Network, CreateNetworkOptions, NetworkAttachment, NetworkService } from './types.js';
export { LocalNetworkService, createLocalNetworkService } from './local/network-service.js';
export type { LocalNetworkServiceOptions } from './local/network-service.js';
export { builtinNetworkId } from './local/builtin.js';
