/** Options every call takes. */
export interface CallOptions {
  signal?: AbortSignal;
}

/** A network containers can join. */
export interface Network {
  id: string;
  name: string;
  /** `null` (the `none` network), `host`, later `bridge`. */
  driver: string;
  /** RFC 3339. */
  created: string;
  labels: Record<string, string>;
  /** Predefined networks (`none`, `host`) cannot be removed. */
  builtin: boolean;
}

/** Options of {@link NetworkService.create}. */
export interface CreateNetworkOptions extends CallOptions {
  driver?: string;
  labels?: Record<string, string>;
}

/** The namespace decision for a container about to start. */
export interface NetworkAttachment {
  /** Same meaning as the runtime's NetworkNamespace.mode. */
  mode: 'none' | 'host' | 'path';
  path?: string;
}

/** Networks, and how a container is connected to them. */
export interface NetworkService {
  list(opts?: CallOptions): Promise<Network[]>;
  /** @throws NotFound. */
  get(name: string, opts?: CallOptions): Promise<Network>;
  /** @throws AlreadyExists; InvalidArgument; Unimplemented for drivers not built yet. */
  create(name: string, opts?: CreateNetworkOptions): Promise<Network>;
  /** @throws NotFound; FailedPrecondition for builtin networks. */
  remove(name: string, opts?: CallOptions): Promise<void>;
  /**
   * Prepares the network of a container about to start, by network mode
   * (`none`, `host`, or a network name). @throws NotFound for an unknown network.
   */
  attach(containerId: string, networkMode: string, opts?: CallOptions): Promise<NetworkAttachment>;
  /** Releases whatever `attach` set up. Idempotent. */
  detach(containerId: string, opts?: CallOptions): Promise<void>;
}
