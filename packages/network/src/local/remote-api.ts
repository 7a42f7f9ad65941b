/**
 * The JSON bodies of Docker's remote network driver API (`NetworkDriver.*`) and remote IPAM API
 * (`IpamDriver.*`), as libnetwork sends and expects them. Field names are the wire's.
 */
import type { CallOptions } from '../types.js';

/** Per-call options: a time limit of one attempt, and whether connection failures are retried (default yes). */
export interface PluginCallOptions extends CallOptions {
  timeoutMs?: number;
  retry?: boolean;
}

/**
 * How the network layer reaches one plugin: `POST /<method>` with a JSON body, resolving with the
 * parsed answer. `@tscr/plugins`' `Plugin` satisfies it. An answer carrying `Err` must reject with a
 * TscrError; unreachable → Unavailable, timeout → DeadlineExceeded, garbage → Internal.
 */
export interface PluginTransport {
  readonly name: string;
  call<T = unknown>(method: string, body?: unknown, opts?: PluginCallOptions): Promise<T>;
}

/**
 * Finds a plugin by name that implements `kind` (`NetworkDriver` or `IpamDriver`).
 * @throws NotFound when there is none; FailedPrecondition when it implements something else.
 */
export type PluginResolver = (
  name: string,
  kind: 'NetworkDriver' | 'IpamDriver',
  opts?: CallOptions,
) => Promise<PluginTransport>;

/** `IpamDriver.RequestPool`. */
export interface RequestPoolRequest {
  AddressSpace: string;
  Pool: string;
  SubPool: string;
  Options: Record<string, string>;
  V6: boolean;
}
export interface RequestPoolResponse {
  PoolID: string;
  /** `a.b.c.d/n`. */
  Pool: string;
  Data?: Record<string, string>;
}

/** `IpamDriver.RequestAddress`. */
export interface RequestAddressRequest {
  PoolID: string;
  /** Empty: any free address. */
  Address: string;
  Options: Record<string, string>;
}
export interface RequestAddressResponse {
  /** `a.b.c.d/n`. */
  Address: string;
  Data?: Record<string, string>;
}

/** `IpamDriver.GetDefaultAddressSpaces`. */
export interface AddressSpacesResponse {
  LocalDefaultAddressSpace: string;
  GlobalDefaultAddressSpace: string;
}

/** One pool as `NetworkDriver.CreateNetwork` receives it. */
export interface IpamData {
  AddressSpace: string;
  Pool: string;
  Gateway: string;
  AuxAddresses: Record<string, string>;
}

/** `NetworkDriver.CreateNetwork`. */
export interface CreateNetworkRequest {
  NetworkID: string;
  Options: Record<string, unknown>;
  IPv4Data: IpamData[];
  IPv6Data: IpamData[];
}

/** The interface of an endpoint, asked for and answered. */
export interface EndpointInterface {
  Address: string;
  AddressIPv6: string;
  MacAddress: string;
}

/** `NetworkDriver.CreateEndpoint`. */
export interface CreateEndpointRequest {
  NetworkID: string;
  EndpointID: string;
  Interface: EndpointInterface;
  Options: Record<string, unknown>;
}
export interface CreateEndpointResponse {
  /** Only what the driver fills in (a MAC when none was given); null/absent otherwise. */
  Interface?: Partial<EndpointInterface> | null;
}

/** `NetworkDriver.Join`. */
export interface JoinRequest {
  NetworkID: string;
  EndpointID: string;
  /** The container's network namespace. */
  SandboxKey: string;
  Options: Record<string, unknown>;
}

/** A route to set in the container: RouteType 0 via NextHop, 1 directly connected. */
export interface StaticRoute {
  Destination: string;
  RouteType: number;
  NextHop?: string;
}

export interface JoinResponse {
  /** The host interface to move into the container (`SrcName`), renamed to `DstPrefix` plus a number. */
  InterfaceName?: { SrcName: string; DstPrefix: string } | null;
  Gateway?: string;
  GatewayIPv6?: string;
  StaticRoutes?: StaticRoute[] | null;
  DisableGatewayService?: boolean;
}

/** The option keys libnetwork passes to drivers. */
export const OPT = {
  generic: 'com.docker.network.generic',
  enableIpv6: 'com.docker.network.enable_ipv6',
  portMap: 'com.docker.network.portmap',
  exposedPorts: 'com.docker.network.endpoint.exposedports',
  addressType: 'RequestAddressType',
  gatewayType: 'com.docker.network.gateway',
  macAddress: 'com.docker.network.endpoint.macaddress',
} as const;

/** `NetworkDriver.GetCapabilities`: `local` or `global` each; an empty `ConnectivityScope` means the same as `Scope`. */
export interface NetworkCapabilitiesResponse {
  Scope?: string;
  ConnectivityScope?: string;
}

/** `IpamDriver.GetCapabilities`. */
export interface IpamCapabilitiesResponse {
  /** The endpoint's MAC goes with RequestAddress (option {@link OPT.macAddress}). */
  RequiresMACAddress?: boolean;
  /** The plugin wants its pools and addresses asked for again after the daemon restarts. */
  RequiresRequestReplay?: boolean;
}

/** `NetworkDriver.EndpointOperInfo`: request `{NetworkID, EndpointID}`, answer the driver's data about the endpoint. */
export interface EndpointOperInfoResponse {
  Value?: Record<string, unknown> | null;
}
