import { randomBytes } from 'node:crypto';
import { alreadyExists, failedPrecondition, invalidArgument, notFound, unimplemented } from '@tscr/api';
import type {
  AttachOptions,
  CallOptions,
  ConnectOptions,
  CreateNetworkOptions,
  Endpoint,
  Network,
  NetworkAttachment,
  NetworkService,
} from '../types.js';
import { BridgeDriver, DEFAULT_BRIDGE } from './bridge-driver.js';
import { BUILTIN_NETWORKS, HOST_DRIVER, NULL_DRIVER, builtinNetwork } from './builtin.js';
import { hostNameservers } from './dns.js';
import { checkNetworkName, checkSignal, lookupNetwork } from './names.js';
import type { NetworkRecord } from './state.js';

/** Options of {@link createLocalNetworkService}. */
export interface LocalNetworkServiceOptions {
  /** Directory for the state of bridge networks. */
  root?: string;
  /**
   * Directory for the containers' network namespace files (under the
   * daemon's exec-root). Without it (or `root`) only `none` and `host` exist
   * and bridge networks raise Unimplemented: nothing on the host is touched.
   */
  runDir?: string;
  /** Prefix of every host object (bridges `PREFIX0`, `PREFIX-<id8>`, veths `vPREFIX…`, chains `PREFIX-…`). Default `tscr`. */
  prefix?: string;
  /** Address pool subnets are taken from; default `172.30.0.0/16`. */
  pool?: string;
  /** Prefix length of the subnets taken from the pool; default 24. */
  poolSize?: number;
  /** Port of the DNS servers; default 53. */
  dnsPort?: number;
  logger?: (message: string) => void;
}

/** The driver `create` uses when none is given, as in Docker. */
const DEFAULT_DRIVER = 'bridge';

/**
 * The network layer, in process: the predefined `none` and `host` networks,
 * and with a `root` and `runDir`, bridge networks (the default `bridge` one
 * included) through `BridgeDriver`.
 */
export class LocalNetworkService implements NetworkService {
  /** Where bridge networks are kept. */
  readonly root: string | undefined;
  private readonly builtins: Network[];
  private readonly bridge: BridgeDriver | undefined;
  private ready: Promise<void> | undefined;
  /** containerId → attachment of `none`/`host` containers. */
  private readonly simple = new Map<string, NetworkAttachment>();

  constructor(opts: LocalNetworkServiceOptions = {}) {
    this.root = opts.root;
    const created = new Date().toISOString();
    this.builtins = BUILTIN_NETWORKS.map((n) => builtinNetwork(n.name, n.driver, created));
    if (opts.root && opts.runDir) {
      this.bridge = new BridgeDriver({
        root: opts.root,
        runDir: opts.runDir,
        prefix: opts.prefix ?? 'tscr',
        pool: opts.pool ?? '172.30.0.0/16',
        poolSize: opts.poolSize ?? 24,
        logger: opts.logger ?? ((m) => console.error(m)),
        ...(opts.dnsPort !== undefined && { dnsPort: opts.dnsPort }),
      });
    }
  }

  /** Creates the default bridge and reconciles the host with the state (once; every call waits for it). */
  init(): Promise<void> {
    if (!this.bridge) return Promise.resolve();
    this.ready ??= this.bridge.init();
    return this.ready;
  }

  async list(opts?: CallOptions): Promise<Network[]> {
    checkSignal(opts);
    await this.init();
    return this.all();
  }

  /** By name, full ID, or an unambiguous ID prefix of 12+ hex digits. @throws NotFound. */
  async get(name: string, opts?: CallOptions): Promise<Network> {
    checkSignal(opts);
    await this.init();
    return this.find(name);
  }

  async create(name: string, opts: CreateNetworkOptions = {}): Promise<Network> {
    checkSignal(opts);
    checkNetworkName(name);
    await this.init();
    if (this.lookup(name) || name === DEFAULT_BRIDGE)
      throw alreadyExists(`network with name ${name} already exists`, { details: { network: name } });
    const driver = opts.driver || DEFAULT_DRIVER;
    if (driver !== 'bridge') throw unimplemented(`network driver ${JSON.stringify(driver)}`);
    if (opts.ipamDriver && opts.ipamDriver !== 'default')
      throw unimplemented(`IPAM driver ${JSON.stringify(opts.ipamDriver)} with the bridge driver`);
    if (!this.bridge) throw unimplemented(`network driver "bridge" without a state and namespace directory`);
    const rec = await this.bridge.create(randomBytes(32).toString('hex'), name, opts);
    return this.fromRecord(rec);
  }

  async remove(name: string, opts?: CallOptions): Promise<void> {
    checkSignal(opts);
    await this.init();
    const n = this.find(name);
    if (n.builtin) {
      throw failedPrecondition(`${n.name} is a pre-defined network and cannot be removed`, {
        details: { network: n.name },
      });
    }
    await this.bridge?.remove(n.id);
  }

  async prune(opts?: CallOptions): Promise<string[]> {
    checkSignal(opts);
    await this.init();
    const removed: string[] = [];
    for (const n of this.all()) {
      if (n.builtin || Object.keys(n.containers).length > 0) continue;
      await this.bridge?.remove(n.id).then(
        () => removed.push(n.name),
        () => undefined,
      );
    }
    return removed;
  }

  /**
   * `none` or '' → a fresh namespace; `host` → the host's; `bridge`,
   * `default` or a bridge network → a namespace of its own with an endpoint
   * on it (and on the further networks of `opts.endpoints`);
   * `container:<id>` → that container's namespace.
   */
  async attach(containerId: string, networkMode: string, opts: AttachOptions = {}): Promise<NetworkAttachment> {
    checkSignal(opts);
    if (!containerId) throw invalidArgument('attach: container ID is required');
    await this.init();
    const mode = networkMode.trim();
    const name = opts.name ?? containerId.slice(0, 12);
    if (mode.startsWith('container:')) {
      if (!this.bridge) throw unimplemented(`network mode ${JSON.stringify(mode)} without bridge networks`);
      return this.bridge.attachShared(containerId, name, mode.slice('container:'.length));
    }
    if (!this.bridge && (mode === DEFAULT_BRIDGE || mode === 'default')) {
      throw unimplemented(`network driver "bridge" without a state and namespace directory`);
    }
    const primary = mode === '' || mode === 'default' ? (this.bridge ? DEFAULT_BRIDGE : 'none') : mode;
    const n = this.find(primary);
    const hostDns = () => hostNameservers();
    if (n.driver === NULL_DRIVER || n.driver === HOST_DRIVER) {
      if ((opts.ports ?? []).length > 0 && n.driver === NULL_DRIVER) {
        throw invalidArgument('published ports need a bridge network, not "none"');
      }
      const a: NetworkAttachment = {
        mode: n.driver === NULL_DRIVER ? 'none' : 'host',
        endpoints: [],
        ports: [],
        dns: [],
      };
      this.simple.set(containerId, a);
      return { ...a, dns: n.driver === HOST_DRIVER ? hostDns() : [] };
    }
    if (!this.bridge) throw unimplemented(`network driver ${JSON.stringify(n.driver)}`);
    const byNet = new Map<string, { networkId: string; aliases?: string[]; ip?: string; network: string }>();
    byNet.set(n.id, { network: n.name, networkId: n.id });
    for (const r of opts.endpoints ?? []) {
      const target = this.find(r.network === 'default' ? DEFAULT_BRIDGE : r.network);
      if (target.driver !== 'bridge') {
        if (target.id === n.id) continue;
        throw invalidArgument(`container cannot be connected to network ${target.name} as well as ${n.name}`);
      }
      byNet.set(target.id, { ...byNet.get(target.id), ...r, networkId: target.id });
    }
    return this.bridge.attach(containerId, name, [...byNet.values()], opts.ports ?? []);
  }

  async detach(containerId: string, opts?: CallOptions): Promise<void> {
    checkSignal(opts);
    this.simple.delete(containerId);
    if (!this.bridge) return;
    await this.init();
    await this.bridge.detach(containerId);
  }

  async connect(containerId: string, network: string, opts: ConnectOptions = {}): Promise<Endpoint> {
    checkSignal(opts);
    await this.init();
    const n = this.find(network);
    if (n.driver !== 'bridge' || !this.bridge) {
      throw failedPrecondition(`cannot connect a running container to network ${n.name} (driver ${n.driver})`, {
        details: { network: n.name },
      });
    }
    return this.bridge.connect(containerId, n.id, opts);
  }

  async disconnect(containerId: string, network: string, opts?: CallOptions): Promise<void> {
    checkSignal(opts);
    await this.init();
    const n = this.find(network);
    if (!this.bridge || n.driver !== 'bridge') {
      throw failedPrecondition(`container ${containerId} is not connected to network ${n.name}`, {
        details: { network: n.name },
      });
    }
    await this.bridge.disconnect(containerId, n.id);
  }

  async attachment(containerId: string, opts?: CallOptions): Promise<NetworkAttachment | undefined> {
    checkSignal(opts);
    await this.init();
    const simple = this.simple.get(containerId);
    if (simple) return { ...simple };
    return this.bridge?.attachment(containerId);
  }

  /** Stops DNS servers and port holders; host objects stay for a later start to reconcile. */
  close(): void {
    this.bridge?.close();
  }

  /**
   * Stops DNS servers and port holders and, when no container is attached,
   * removes the bridges and rules too (the next start re-creates them).
   */
  async shutdown(): Promise<void> {
    if (!this.bridge || !this.ready) return;
    await this.ready.catch(() => undefined);
    await this.bridge.shutdown();
    this.ready = undefined;
  }

  /** Removes every host object and all state of this layer's prefix (tests, uninstall). */
  async purge(): Promise<void> {
    if (!this.bridge) return;
    await this.ready?.catch(() => undefined);
    await this.bridge.purge();
    this.ready = undefined;
  }

  private all(): Network[] {
    return [...(this.bridge?.networks() ?? []).map((r) => this.fromRecord(r)), ...this.builtins.map(copy)];
  }

  private fromRecord(r: NetworkRecord): Network {
    const containers: Record<string, Endpoint> = {};
    for (const e of this.bridge?.endpointsOf(r.id) ?? []) containers[e.containerId] = e;
    const n: Network = {
      id: r.id,
      name: r.name,
      driver: r.driver,
      created: r.created,
      labels: { ...r.labels },
      builtin: r.builtin,
      internal: r.internal,
      options: { ...r.options },
      ipam: [{ subnet: r.subnet, gateway: r.gateway, ...(r.ipRange && { ipRange: r.ipRange }) }],
      bridge: r.bridge,
      containers,
    };
    return n;
  }

  private find(nameOrId: string): Network {
    const n = this.lookup(nameOrId);
    if (!n) throw notFound(`network ${nameOrId} not found`, { details: { network: nameOrId } });
    return n;
  }

  private lookup(nameOrId: string): Network | undefined {
    return lookupNetwork(this.all(), nameOrId);
  }
}

function copy(n: Network): Network {
  return { ...n, labels: { ...n.labels }, options: { ...n.options }, ipam: [...n.ipam], containers: {} };
}

/** Creates the in-process network layer. Touches the host only on the first call (see {@link LocalNetworkService.init}). */
export function createLocalNetworkService(opts: LocalNetworkServiceOptions = {}): LocalNetworkService {
  return new LocalNetworkService(opts);
}
