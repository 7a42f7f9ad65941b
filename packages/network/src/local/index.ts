/**
 * @tscr/network/local — networks on this host: bridges, veths, iptables rules, the DNS
 * server, and `LocalNetworkService` over them.
 */
export { LocalNetworkService, createLocalNetworkService } from './network-service.js';
export type { LocalNetworkServiceOptions } from './network-service.js';
export { DEFAULT_BRIDGE, networkPrefixForRoot, purgeHostNetwork } from './bridge-driver.js';
export { PluginNetworkService } from './plugin-network-service.js';
export type { PluginNetworkServiceOptions } from './plugin-network-service.js';
export { LocalIpamAllocator, PluginIpamAllocator } from './ipam-allocator.js';
export type { AllocatedPool, IpamAllocator } from './ipam-allocator.js';
export type { PluginResolver, PluginTransport } from './remote-api.js';
