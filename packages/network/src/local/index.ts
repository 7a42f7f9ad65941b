/**
 * @tscr/network/local — networks on this host: bridges, veths, iptables rules, the DNS
 * server, and `LocalNetworkService` over them.
 */
export { LocalNetworkService, createLocalNetworkService } from './network-service.js';
export type { LocalNetworkServiceOptions } from './network-service.js';
export { DEFAULT_BRIDGE, networkPrefixForRoot, purgeHostNetwork } from './bridge-driver.js';
