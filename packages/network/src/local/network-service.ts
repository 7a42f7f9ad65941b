import { alreadyExists, cancelled, failedPrecondition, invalidArgument, notFound, unimplemented } from '@tscr/api';
import type { CallOptions, CreateNetworkOptions, Network, NetworkAttachment, NetworkService } from '../types.js';
import { BUILTIN_NETWORKS, HOST_DRIVER, NULL_DRIVER, builtinNetwork } from './builtin.js';

/** Options of {@link createLocalNetworkService}. */
export interface LocalNetworkServiceOptions {
  /**
   * Directory for the state of user-defined networks. Optional while only the
   * predefined `none` and `host` networks exist (nothing is written yet).
   */
  root?: string;
}

/** Docker's rule for network names. */
const NETWORK_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
/** Shortest ID prefix accepted in place of a name, as for images. */
const MIN_ID_PREFIX = 12;
/** The driver `create` uses when none is given, as in Docker. */
const DEFAULT_DRIVER = 'bridge';

function checkSignal(opts?: CallOptions): void {
  if (opts?.signal?.aborted) throw cancelled('network call cancelled');
}

/**
 * The network layer, in process. Knows the predefined networks `none`
 * (driver `null`: a fresh namespace with only loopback) and `host` (the
 * host's namespace). Creating networks of any driver raises Unimplemented
 * until the bridge driver lands.
 */
export class LocalNetworkService implements NetworkService {
  /** Where user-defined networks will be kept; see {@link LocalNetworkServiceOptions.root}. */
  readonly root: string | undefined;
  private readonly networks: Network[];
  /** containerId → the network mode it was attached with. */
  private readonly attachments = new Map<string, NetworkAttachment>();

  constructor(opts: LocalNetworkServiceOptions = {}) {
    this.root = opts.root;
    const created = new Date().toISOString();
    this.networks = BUILTIN_NETWORKS.map((n) => builtinNetwork(n.name, n.driver, created));
  }

  async list(opts?: CallOptions): Promise<Network[]> {
    checkSignal(opts);
    return this.networks.map(copy);
  }

  /** By name, full ID, or an unambiguous ID prefix of 12+ hex digits. @throws NotFound. */
  async get(name: string, opts?: CallOptions): Promise<Network> {
    checkSignal(opts);
    return copy(this.find(name));
  }

  async create(name: string, opts: CreateNetworkOptions = {}): Promise<Network> {
    checkSignal(opts);
    if (!NETWORK_NAME.test(name)) {
      throw invalidArgument(
        `invalid network name ${JSON.stringify(name)}: only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`,
        { details: { network: name } },
      );
    }
    if (this.lookup(name))
      throw alreadyExists(`network with name ${name} already exists`, { details: { network: name } });
    const driver = opts.driver || DEFAULT_DRIVER;
    throw unimplemented(`network driver ${JSON.stringify(driver)}`);
  }

  async remove(name: string, opts?: CallOptions): Promise<void> {
    checkSignal(opts);
    const n = this.find(name);
    if (n.builtin) {
      throw failedPrecondition(`${n.name} is a pre-defined network and cannot be removed`, {
        details: { network: n.name },
      });
    }
    // Only builtin networks exist until a driver that creates networks lands.
    throw unimplemented('removing user-defined networks');
  }

  /**
   * `none` or '' → a fresh namespace; `host` → the host's; a predefined
   * network's ID works too. `container:<id>` and the `bridge` driver raise
   * Unimplemented. @throws NotFound for an unknown network; InvalidArgument
   * for an empty container ID.
   */
  async attach(containerId: string, networkMode: string, opts?: CallOptions): Promise<NetworkAttachment> {
    checkSignal(opts);
    if (!containerId) throw invalidArgument('attach: container ID is required');
    const attachment = this.decide(networkMode);
    this.attachments.set(containerId, attachment);
    return { ...attachment };
  }

  async detach(containerId: string, opts?: CallOptions): Promise<void> {
    checkSignal(opts);
    this.attachments.delete(containerId);
  }

  private decide(networkMode: string): NetworkAttachment {
    const mode = networkMode.trim();
    if (mode === '') return { mode: 'none' };
    if (mode.startsWith('container:')) throw unimplemented(`network mode ${JSON.stringify(mode)}`);
    if (mode === 'bridge' || mode === 'default') throw unimplemented(`network driver "${DEFAULT_DRIVER}"`);
    const n = this.find(mode);
    if (n.driver === NULL_DRIVER) return { mode: 'none' };
    if (n.driver === HOST_DRIVER) return { mode: 'host' };
    throw unimplemented(`network driver ${JSON.stringify(n.driver)}`);
  }

  private find(nameOrId: string): Network {
    const n = this.lookup(nameOrId);
    if (!n) throw notFound(`network ${nameOrId} not found`, { details: { network: nameOrId } });
    return n;
  }

  private lookup(nameOrId: string): Network | undefined {
    const byName = this.networks.find((n) => n.name === nameOrId);
    if (byName) return byName;
    if (nameOrId.length < MIN_ID_PREFIX || !/^[a-f0-9]+$/.test(nameOrId)) return undefined;
    const byId = this.networks.filter((n) => n.id.startsWith(nameOrId));
    return byId.length === 1 ? byId[0] : undefined;
  }
}

function copy(n: Network): Network {
  return { ...n, labels: { ...n.labels } };
}

/** Creates the in-process network layer. */
export function createLocalNetworkService(opts: LocalNetworkServiceOptions = {}): LocalNetworkService {
  return new LocalNetworkService(opts);
}
