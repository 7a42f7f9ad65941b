/**
 * @tscr/network — networks and how containers join them: the predefined
 * `none` and `host` networks and bridge networks (IPAM, DNS by name,
 * published ports). The gRPC server and client live in `@tscr/network/grpc`.
 */
export type {
  AttachOptions,
  CallOptions,
  ConnectOptions,
  CreateNetworkOptions,
  Endpoint,
  EndpointRequest,
  IpamConfig,
  Network,
  NetworkAttachment,
  NetworkService,
  PortBinding,
  PortMapping,
} from './types.js';
export { LocalNetworkService, createLocalNetworkService } from './local/network-service.js';
export type { LocalNetworkServiceOptions } from './local/network-service.js';
export { builtinNetworkId } from './local/builtin.js';
export { parsePortSpec } from './local/port-spec.js';
export { DEFAULT_BRIDGE, networkPrefixForRoot, purgeHostNetwork } from './local/bridge-driver.js';
