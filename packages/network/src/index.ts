/**
 * @tscr/network — networks and how containers join them: the predefined
 * `none` and `host` networks and bridge networks (IPAM, DNS by name,
 * published ports). The gRPC server and client live in `@tscr/network/grpc`.
 * This entry holds the interface types and pure helpers only (nothing that
 * touches the host); the local implementation is `@tscr/network/local`.
 */
export type {
  AttachOptions,
  CallOptions,
  ConnectOptions,
  CreateNetworkOptions,
  Endpoint,
  EndpointRequest,
  GetNetworkOptions,
  IpamConfig,
  Network,
  NetworkAttachment,
  NetworkService,
  PortBinding,
  PortMapping,
} from './types.js';
export { NetworkRouter } from './router.js';
export type { NetworkRouterOptions } from './router.js';
export { builtinNetworkId } from './local/builtin.js';
export { parsePortSpec } from './local/port-spec.js';
