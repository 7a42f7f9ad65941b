import type { CallOptions } from '@tscr/api';

export type { CallOptions };

/** One address pool of a network (Docker's `IPAM.Config` entry). */
export interface IpamConfig {
  /** `a.b.c.d/n`. */
  subnet: string;
  /** The bridge's address, which containers route through. */
  gateway: string;
  /** Part of the subnet containers get addresses from; empty: the whole subnet. */
  ipRange?: string;
}

/** A container's presence on one network. */
export interface Endpoint {
  /** The network's ID and name. */
  networkId: string;
  networkName: string;
  containerId: string;
  /** Container name, without the leading slash. */
  containerName: string;
  /** Names it answers to on this network besides its name. */
  aliases: string[];
  /** Interface inside the container, e.g. `eth0`. */
  interfaceName: string;
  ipAddress: string;
  prefixLen: number;
  gateway: string;
  macAddress: string;
  /** The address was asked for (`--ip`) rather than picked. */
  staticIp: boolean;
  /**
   * What the network driver reports about the endpoint (a Docker network plugin's `EndpointOperInfo` answer);
   * present only when the driver was asked and answered something. Values of other types than string are JSON.
   */
  driverInfo?: Record<string, string>;
}

/** A network containers can join. */
export interface Network {
  id: string;
  name: string;
  /** `null` (the `none` network), `host`, `bridge`. */
  driver: string;
  /** RFC 3339. */
  created: string;
  labels: Record<string, string>;
  /** Predefined networks (`none`, `host`, `bridge`) cannot be removed. */
  builtin: boolean;
  /** No route out of the host (`--internal`). */
  internal: boolean;
  /** Driver options (`-o`), e.g. `com.docker.network.bridge.name`. */
  options: Record<string, string>;
  /** Empty for `none` and `host`. */
  ipam: IpamConfig[];
  /** Host interface of a bridge network. */
  bridge?: string;
  /** Endpoints of running containers, by container ID. */
  containers: Record<string, Endpoint>;
  /** The IPAM driver that gave its addresses: absent or `default` for the daemon's own, else a plugin's name. */
  ipamDriver?: string;
  /** Options given to the IPAM driver (`IPAM.Options`). */
  ipamOptions?: Record<string, string>;
  /**
   * `local` (also when absent) or `global`: the data scope of the network's driver, as a Docker network
   * plugin's `GetCapabilities` answers it (Docker's `Scope`).
   */
  scope?: string;
}

/** Options of {@link NetworkService.get}. */
export interface GetNetworkOptions extends CallOptions {
  /**
   * Ask the network driver for each endpoint's operational data (`Endpoint.driverInfo`; a Docker network
   * plugin's `EndpointOperInfo`), as inspecting does. Best effort: a driver that fails leaves it out. Default: no
   * (a lookup on the way to something else costs no plugin calls).
   */
  driverInfo?: boolean;
}

/** Options of {@link NetworkService.create}. */
export interface CreateNetworkOptions extends CallOptions {
  /** `bridge` (the default), or another network driver: one served over gRPC, or a Docker network plugin. */
  driver?: string;
  /** Empty or `default`: the daemon's IPAM; else the name of an IPAM plugin (`--ipam-driver`). */
  ipamDriver?: string;
  /** Options for the IPAM driver (`IPAM.Options`). */
  ipamOptions?: Record<string, string>;
  labels?: Record<string, string>;
  /** `a.b.c.d/n`; default: a free /24 of the daemon's pool. */
  subnet?: string;
  /** Default: the first address of the subnet. Needs `subnet`. */
  gateway?: string;
  /** Needs `subnet`, and must lie inside it. */
  ipRange?: string;
  internal?: boolean;
  options?: Record<string, string>;
}

/** A published port as asked for (`-p [HOSTIP:]HOSTPORT:CTRPORT[/proto]`). */
export interface PortBinding {
  containerPort: number;
  protocol: 'tcp' | 'udp';
  /** Empty or `0.0.0.0`: every host address. */
  hostIp: string;
  /** 0: a free port picked by the daemon. */
  hostPort: number;
}

/** A published port as it is set up (`tscr port`). */
export interface PortMapping {
  containerPort: number;
  protocol: 'tcp' | 'udp';
  hostIp: string;
  hostPort: number;
}

/** How a container joins one extra or the primary network. */
export interface EndpointRequest {
  /** Network name or ID. */
  network: string;
  aliases?: string[];
  /** A fixed address (`--ip`). */
  ip?: string;
}

/** Options of {@link NetworkService.attach}. */
export interface AttachOptions extends CallOptions {
  /** The container's name: what other containers resolve. */
  name?: string;
  /**
   * Settings per network: the one named by the network mode (aliases, ip),
   * and further networks to join (bridge networks only).
   */
  endpoints?: EndpointRequest[];
  ports?: PortBinding[];
}

/** The namespace decision for a container about to start, and what was set up. */
export interface NetworkAttachment {
  /** Same meaning as the runtime's NetworkNamespace.mode. */
  mode: 'none' | 'host' | 'path';
  path?: string;
  endpoints: Endpoint[];
  ports: PortMapping[];
  /** Nameservers the container should use; empty: the host's. */
  dns: string[];
}

/** Options of {@link NetworkService.connect}. */
export interface ConnectOptions extends CallOptions {
  name?: string;
  aliases?: string[];
  ip?: string;
}

/** Networks, and how a container is connected to them. */
export interface NetworkService {
  list(opts?: CallOptions): Promise<Network[]>;
  /** By name, full ID or unique ID prefix. @throws NotFound. */
  get(name: string, opts?: GetNetworkOptions): Promise<Network>;
  /**
   * @throws AlreadyExists; InvalidArgument for malformed names, subnets and
   * addresses; FailedPrecondition for a subnet that overlaps another network
   * or a host route; NotFound for a network or IPAM driver nobody serves;
   * Unimplemented for an IPAM driver the network driver cannot use.
   */
  create(name: string, opts?: CreateNetworkOptions): Promise<Network>;
  /** @throws NotFound; FailedPrecondition for builtin networks and networks with containers. */
  remove(name: string, opts?: CallOptions): Promise<void>;
  /** Removes user-defined networks without containers; returns their names. */
  prune(opts?: CallOptions): Promise<string[]>;
  /**
   * Prepares the network of a container about to start, by network mode
   * (`none`, `host`, `bridge`/`default`, `container:<id>`, or a network name):
   * namespace, interfaces, addresses, published ports.
   * @throws NotFound for an unknown network; InvalidArgument for bad ports or
   * addresses; FailedPrecondition for a host port already taken or an address
   * in use. Nothing stays set up when it throws.
   */
  attach(containerId: string, networkMode: string, opts?: AttachOptions): Promise<NetworkAttachment>;
  /** Releases whatever `attach` and `connect` set up. Idempotent. */
  detach(containerId: string, opts?: CallOptions): Promise<void>;
  /**
   * Connects an attached (running) container to one more network.
   * @throws NotFound; FailedPrecondition when not attached to a namespace of
   * its own, or already on that network.
   */
  connect(containerId: string, network: string, opts?: ConnectOptions): Promise<Endpoint>;
  /** @throws NotFound for an unknown network; FailedPrecondition when not on it. */
  disconnect(containerId: string, network: string, opts?: CallOptions): Promise<void>;
  /** What is set up for a container now; undefined when nothing is. */
  attachment(containerId: string, opts?: CallOptions): Promise<NetworkAttachment | undefined>;
}
