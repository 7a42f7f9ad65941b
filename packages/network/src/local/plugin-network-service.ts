import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { alreadyExists, failedPrecondition, invalidArgument, notFound } from '@tscr/api';
import type {
  AttachOptions,
  CallOptions,
  ConnectOptions,
  CreateNetworkOptions,
  Endpoint,
  GetNetworkOptions,
  Network,
  NetworkAttachment,
  NetworkService,
  PortBinding,
} from '../types.js';
import { hostNameservers } from './dns.js';
import { checkNetworkName, checkSignal, lookupNetwork } from './names.js';
import { mountsUnder, namespaceFiles, removeNamespace } from './host.js';
import { type IpamAllocator, LocalIpamAllocator, PluginIpamAllocator } from './ipam-allocator.js';
import {
  type NetworkCapabilities,
  endpointOperInfo,
  networkCapabilities,
  optionalCall,
} from './plugin-capabilities.js';
import { UNDO_CALL, joinEndpoint, leaveEndpoint } from './plugin-endpoint.js';
import {
  type PluginAttachmentRecord,
  type PluginEndpointRecord,
  type PluginNetworkRecord,
  type PluginNetworkState,
  loadPluginState,
  savePluginState,
  toAttachment,
  toEndpoint,
  toNetwork,
} from './plugin-state.js';
import { type CreateNetworkRequest, OPT, type PluginResolver, type PluginTransport } from './remote-api.js';
import { replayIpamRequests } from './plugin-replay.js';
import { createSandbox } from './sandbox.js';

/** Options of {@link PluginNetworkService}. */
export interface PluginNetworkServiceOptions {
  /** Directory of the state files (`plugin-networks.json`, `plugin-ipam.json`). */
  root: string;
  /** Directory of the containers' namespace files; this service's own (it removes files it does not know). */
  runDir: string;
  /** Finds plugins by name (the daemon's plugin registry). */
  resolve: PluginResolver;
  /** Where the daemon's IPAM takes subnets for plugin networks; default `172.29.0.0/16`, /24 each. */
  pool?: string;
  poolSize?: number;
  logger?: (message: string) => void;
}

/**
 * Networks of Docker network plugins (the remote driver API, `NetworkDriver.*`), with addresses from the
 * daemon's IPAM or an IPAM plugin (`IpamDriver.*`). Each container on them gets a namespace of its own; the
 * interface the plugin names in Join is moved into it and configured as the plugin answered. The networks and
 * endpoints are kept in a JSON file, so listing needs no plugin.
 */
export class PluginNetworkService implements NetworkService {
  private state: PluginNetworkState;
  private readonly file: string;
  private readonly localIpam: LocalIpamAllocator;
  private readonly logger: (message: string) => void;
  /** Network plugins told DiscoverNew in this run. */
  private readonly discovered = new Map<string, PluginTransport>();
  /** GetCapabilities answers of network plugins in this run. */
  private readonly caps = new Map<string, NetworkCapabilities>();
  private readonly ipams = new Map<string, PluginIpamAllocator>();
  private readonly pendingNames = new Set<string>();
  private ready: Promise<void> | undefined;
  /**
   * The background work of {@link init}: plugins told about dropped endpoints, IPAM requests replayed. Calls that
   * change networks or endpoints wait for it (as dockerd replays before it serves); listing does not. Never rejects.
   */
  private released: Promise<void> = Promise.resolve();

  constructor(private readonly o: PluginNetworkServiceOptions) {
    this.file = join(o.root, 'plugin-networks.json');
    this.state = loadPluginState(this.file);
    this.localIpam = new LocalIpamAllocator({
      file: join(o.root, 'plugin-ipam.json'),
      pool: o.pool ?? '172.29.0.0/16',
      poolSize: o.poolSize ?? 24,
    });
    this.logger = o.logger ?? ((m) => console.error(m));
  }

  /**
   * Drops attachments whose namespace is gone (a container that died while the daemon was down) and namespace
   * files nobody owns (once). The plugins are told about the dropped endpoints in the background (Leave,
   * DeleteEndpoint, ReleaseAddress; not retried), so a plugin that is down does not hold up the daemon's start;
   * then IPAM plugins that say `RequiresRequestReplay` are asked again for the pools and addresses they gave
   * (`replayIpamRequests`), also in the background.
   */
  init(): Promise<void> {
    this.ready ??= (async () => {
      await mkdir(this.o.runDir, { recursive: true, mode: 0o700 });
      const mounted = await mountsUnder(this.o.runDir);
      const dropped: PluginEndpointRecord[] = [];
      for (const [id, a] of Object.entries(this.state.attachments)) {
        if (a.kind !== 'own' || mounted.has(a.netns)) continue;
        this.logger(`network: dropping the plugin endpoints of ${id}: its namespace is gone`);
        dropped.push(...a.endpoints);
        delete this.state.attachments[id];
      }
      this.save();
      this.released = Promise.all(dropped.map((ep) => this.teardown(ep, undefined, UNDO_CALL)))
        .then(() => replayIpamRequests(this.state, (n) => this.ipam(n.ipamDriver, UNDO_CALL), this.logger))
        .then((changed) => {
          if (changed) this.save();
        })
        .catch((e: unknown) => this.logger(`network: clean-up after start: ${(e as Error).message}`));
      const known = new Set(Object.values(this.state.attachments).map((a) => a.netns));
      for (const f of await namespaceFiles(this.o.runDir)) if (!known.has(f)) await removeNamespace(f);
    })();
    return this.ready;
  }

  async list(opts?: CallOptions): Promise<Network[]> {
    checkSignal(opts);
    await this.init();
    return this.state.networks.map((n) => toNetwork(n, this.state));
  }

  async get(name: string, opts?: GetNetworkOptions): Promise<Network> {
    checkSignal(opts);
    await this.init();
    const rec = this.find(name);
    const net = toNetwork(rec, this.state);
    if (!opts?.driverInfo) return net;
    await this.addDriverInfo(
      Object.values(net.containers),
      (e) => this.state.attachments[e.containerId]?.endpoints.find((x) => x.networkId === rec.id),
      opts,
    );
    return net;
  }

  /**
   * Asks the drivers for each endpoint's operational data (EndpointOperInfo, at once) and puts it in
   * `driverInfo`. Best effort: a plugin that fails or is down leaves the endpoint without it (logged).
   */
  private async addDriverInfo(
    endpoints: Endpoint[],
    recordOf: (e: Endpoint) => PluginEndpointRecord | undefined,
    opts?: CallOptions,
  ): Promise<void> {
    await Promise.all(
      endpoints.map(async (e) => {
        const rec = recordOf(e);
        const net = this.byId(e.networkId);
        if (!rec || !net) return;
        const plugin = await this.plugin(net.driver, opts).catch((err: unknown) => {
          this.logger(`network ${net.name}: plugin ${net.driver}: ${(err as Error).message}`);
          return undefined;
        });
        const ids = { NetworkID: net.id, EndpointID: rec.endpointId };
        const info = plugin && (await endpointOperInfo(plugin, ids, this.logger, opts));
        if (info) e.driverInfo = info;
      }),
    );
  }

  async create(name: string, opts: CreateNetworkOptions = {}): Promise<Network> {
    checkSignal(opts);
    checkNetworkName(name);
    if (!opts.driver) throw invalidArgument('a plugin network needs a driver name');
    if ((opts.gateway || opts.ipRange) && !opts.subnet) throw invalidArgument('--gateway and --ip-range need --subnet');
    await this.init();
    await this.released;
    if (this.lookup(name) || this.pendingNames.has(name))
      throw alreadyExists(`network with name ${name} already exists`, { details: { network: name } });
    this.pendingNames.add(name);
    try {
      return await this.createNetwork(name, opts.driver, opts);
    } finally {
      this.pendingNames.delete(name);
    }
  }

  private async createNetwork(name: string, driver: string, opts: CreateNetworkOptions): Promise<Network> {
    const plugin = await this.plugin(driver, opts);
    // dockerd without swarm keeps a global-scope driver's networks in its one local store and shows the scope;
    // so does tscr (no cluster store: the network is known to this host only).
    const caps = await this.capabilities(driver, plugin, opts);
    const ipam = await this.ipam(opts.ipamDriver, opts);
    const id = randomBytes(32).toString('hex');
    const pool = await ipam.requestPool(
      {
        ...(opts.subnet && { pool: opts.subnet }),
        ...(opts.ipRange && { subPool: opts.ipRange }),
        options: { ...opts.ipamOptions },
      },
      opts,
    );
    const undo: Array<() => Promise<unknown>> = [() => ipam.releasePool(pool.poolId, UNDO_CALL)];
    try {
      const gateway = await ipam.requestAddress(
        pool.poolId,
        { gateway: true, ...(opts.gateway && { address: opts.gateway }) },
        opts,
      );
      undo.unshift(() => ipam.releaseAddress(pool.poolId, gateway.split('/')[0] ?? '', UNDO_CALL));
      const req: CreateNetworkRequest = {
        NetworkID: id,
        Options: { [OPT.generic]: { ...opts.options }, [OPT.enableIpv6]: false },
        IPv4Data: [{ AddressSpace: pool.addressSpace, Pool: pool.pool, Gateway: gateway, AuxAddresses: {} }],
        IPv6Data: [],
      };
      await plugin.call('NetworkDriver.CreateNetwork', req, opts);
      const rec: PluginNetworkRecord = {
        id,
        name,
        driver,
        ipamDriver: ipam.name,
        ipamOptions: { ...opts.ipamOptions },
        created: new Date().toISOString(),
        labels: { ...opts.labels },
        options: { ...opts.options },
        internal: Boolean(opts.internal),
        pool,
        gateway,
        ...(opts.ipRange && { ipRange: opts.ipRange }),
        scope: caps.scope,
        connectivityScope: caps.connectivityScope,
      };
      this.state.networks.push(rec);
      this.save();
      return toNetwork(rec, this.state);
    } catch (err) {
      for (const step of undo)
        await step().catch((e: unknown) => this.logger(`network ${name}: undo: ${(e as Error).message}`));
      throw err;
    }
  }

  /** @throws FailedPrecondition with endpoints on it; the plugin's error when DeleteNetwork fails (the network stays). */
  async remove(name: string, opts?: CallOptions): Promise<void> {
    checkSignal(opts);
    await this.init();
    await this.released;
    const n = this.find(name);
    const users = Object.values(this.state.attachments).filter((a) => a.endpoints.some((e) => e.networkId === n.id));
    if (users.length > 0) {
      throw failedPrecondition(
        `error while removing network: network ${n.name} has active endpoints (${users.map((u) => u.name).join(', ')})`,
        { details: { network: n.name } },
      );
    }
    const plugin = await this.plugin(n.driver, opts);
    await plugin.call('NetworkDriver.DeleteNetwork', { NetworkID: n.id }, opts);
    this.state.networks = this.state.networks.filter((x) => x.id !== n.id);
    this.save();
    const ipam = await this.ipam(n.ipamDriver, opts).catch(() => undefined);
    await ipam
      ?.releaseAddress(n.pool.poolId, n.gateway.split('/')[0] ?? '', opts)
      .then(() => ipam.releasePool(n.pool.poolId, opts))
      .catch((e: unknown) => this.logger(`network ${n.name}: releasing its pool: ${(e as Error).message}`));
  }

  async prune(opts?: CallOptions): Promise<string[]> {
    await this.init();
    const removed: string[] = [];
    for (const n of [...this.state.networks]) {
      await this.remove(n.id, opts).then(
        () => removed.push(n.name),
        () => undefined,
      );
    }
    return removed;
  }

  async attach(containerId: string, networkMode: string, opts: AttachOptions = {}): Promise<NetworkAttachment> {
    checkSignal(opts);
    if (!containerId) throw invalidArgument('attach: container ID is required');
    await this.init();
    await this.released;
    if (this.state.attachments[containerId])
      throw failedPrecondition(`container ${containerId} is already attached`, { details: { id: containerId } });
    const name = opts.name ?? containerId.slice(0, 12);
    const mode = networkMode.trim();
    if (mode.startsWith('container:')) return this.attachShared(containerId, name, mode.slice('container:'.length));
    const primary = this.find(mode);
    const wanted = new Map<string, { aliases: string[]; ip?: string }>([[primary.id, { aliases: [] }]]);
    for (const r of opts.endpoints ?? []) {
      const n = this.find(r.network);
      wanted.set(n.id, { aliases: [...(r.aliases ?? [])], ...(r.ip && { ip: r.ip }) });
    }
    const netns = join(this.o.runDir, containerId.slice(0, 32));
    const a: PluginAttachmentRecord = { containerId, name, kind: 'own', netns, endpoints: [], ports: [] };
    this.state.attachments[containerId] = a;
    try {
      await createSandbox(netns);
      for (const [networkId, r] of wanted) {
        await this.addEndpoint(a, this.byId(networkId)!, r, a.endpoints.length === 0 ? (opts.ports ?? []) : [], opts);
      }
      a.ports = (opts.ports ?? []).map((p) => ({ ...p }));
      this.save();
    } catch (err) {
      await this.detach(containerId).catch(() => undefined);
      throw err;
    }
    return toAttachment(a, this.state, hostNameservers())!;
  }

  private attachShared(containerId: string, name: string, target: string): NetworkAttachment {
    const t = this.state.attachments[target] ?? Object.values(this.state.attachments).find((x) => x.name === target);
    if (t?.kind !== 'own')
      throw notFound(`container ${target} has no network namespace here`, { details: { id: target } });
    const a: PluginAttachmentRecord = {
      containerId,
      name,
      kind: 'shared',
      netns: t.netns,
      target: t.containerId,
      endpoints: [],
      ports: [],
    };
    this.state.attachments[containerId] = a;
    this.save();
    return toAttachment(a, this.state, hostNameservers())!;
  }

  private async addEndpoint(
    a: PluginAttachmentRecord,
    net: PluginNetworkRecord,
    r: { aliases: string[]; ip?: string },
    ports: PortBinding[],
    opts?: CallOptions,
  ) {
    const routed = !net.internal && a.endpoints.every((e) => !e.gateway);
    const ep = await joinEndpoint({
      plugin: await this.plugin(net.driver, opts),
      ipam: await this.ipam(net.ipamDriver, opts),
      net,
      netns: a.netns,
      taken: new Set(a.endpoints.map((e) => e.ifname)),
      routed,
      aliases: r.aliases,
      ...(r.ip && { ip: r.ip }),
      ports,
      ...(opts && { opts }),
      logger: this.logger,
    });
    a.endpoints.push(ep);
    this.save();
    return ep;
  }

  /** Leaves every endpoint (telling the plugins; failures are logged) and removes the namespace. Idempotent. */
  async detach(containerId: string, opts?: CallOptions): Promise<void> {
    await this.init();
    await this.released;
    const a = this.state.attachments[containerId];
    if (!a) return;
    delete this.state.attachments[containerId];
    this.save();
    if (a.kind === 'shared') return;
    for (const ep of a.endpoints) await this.teardown(ep, undefined, opts);
    await removeNamespace(a.netns);
  }

  async connect(containerId: string, network: string, opts: ConnectOptions = {}): Promise<Endpoint> {
    checkSignal(opts);
    await this.init();
    await this.released;
    const n = this.find(network);
    const a = this.state.attachments[containerId];
    if (a?.kind !== 'own')
      throw failedPrecondition(`container ${containerId} is not running with a network namespace of its own`, {
        details: { id: containerId },
      });
    if (a.endpoints.some((e) => e.networkId === n.id))
      throw failedPrecondition(`container ${a.name} is already connected to network ${n.name}`, {
        details: { network: n.name, id: containerId },
      });
    const ep = await this.addEndpoint(
      a,
      n,
      { aliases: [...(opts.aliases ?? [])], ...(opts.ip && { ip: opts.ip }) },
      [],
      opts,
    );
    return toEndpoint(a, ep, n);
  }

  async disconnect(containerId: string, network: string, opts?: CallOptions): Promise<void> {
    await this.init();
    await this.released;
    const n = this.find(network);
    const a = this.state.attachments[containerId];
    const ep = a?.endpoints.find((e) => e.networkId === n.id);
    if (!a || !ep)
      throw failedPrecondition(`container ${containerId} is not connected to network ${n.name}`, {
        details: { id: containerId, network: n.name },
      });
    a.endpoints = a.endpoints.filter((e) => e !== ep);
    this.save();
    await this.teardown(ep, a.netns, opts);
  }

  async attachment(containerId: string, opts?: CallOptions): Promise<NetworkAttachment | undefined> {
    checkSignal(opts);
    await this.init();
    const a = this.state.attachments[containerId];
    // No EndpointOperInfo here: this is asked on start, connect and reconcile paths, and container inspect has
    // no place for driver data.
    return a ? toAttachment(a, this.state, hostNameservers()) : undefined;
  }

  /** Waits for the clean-up {@link init} started, then tells the plugins contacted in this run DiscoverDelete (best effort). */
  async shutdown(): Promise<void> {
    await this.released.catch(() => undefined);
    for (const p of this.discovered.values()) {
      await optionalCall(p, 'NetworkDriver.DiscoverDelete', {
        DiscoveryType: 1,
        DiscoveryData: { Address: '', self: true },
      }).catch(() => undefined);
    }
    this.discovered.clear();
  }

  private async teardown(ep: PluginEndpointRecord, netns: string | undefined, opts?: CallOptions) {
    const net = this.byId(ep.networkId);
    if (!net) return;
    const plugin = await this.plugin(net.driver, opts).catch((e: unknown) => {
      this.logger(`network ${net.name}: plugin ${net.driver}: ${(e as Error).message}`);
      return undefined;
    });
    const ipam = await this.ipam(net.ipamDriver, opts).catch(() => undefined);
    await leaveEndpoint(plugin, ipam, net, ep, { ...(netns && { netns }), ...(opts && { opts }), logger: this.logger });
  }

  /** The network plugin, told DiscoverNew the first time in this run. */
  private async plugin(name: string, opts?: CallOptions): Promise<PluginTransport> {
    const p = await this.o.resolve(name, 'NetworkDriver', opts);
    if (!this.discovered.has(name)) {
      this.discovered.set(name, p);
      await this.capabilities(name, p, opts).catch((e: unknown) => this.logger((e as Error).message));
      await optionalCall(
        p,
        'NetworkDriver.DiscoverNew',
        { DiscoveryType: 1, DiscoveryData: { Address: '', self: true } },
        opts,
      ).catch((e: unknown) => this.logger(`network plugin ${name}: DiscoverNew: ${(e as Error).message}`));
    }
    return p;
  }

  /** The plugin's GetCapabilities answer (asked until one is had). @throws FailedPrecondition for an invalid one. */
  private async capabilities(name: string, p: PluginTransport, opts?: CallOptions): Promise<NetworkCapabilities> {
    let caps = this.caps.get(name);
    if (!caps) {
      caps = await networkCapabilities(p, opts);
      this.caps.set(name, caps);
    }
    return caps;
  }

  private async ipam(name: string | undefined, opts?: CallOptions): Promise<IpamAllocator> {
    if (!name || name === 'default') return this.localIpam;
    const p = await this.o.resolve(name, 'IpamDriver', opts);
    // Kept while the plugin is the same, so its capabilities and address space are asked once.
    let a = this.ipams.get(name);
    if (a?.plugin !== p) {
      a = new PluginIpamAllocator(p);
      this.ipams.set(name, a);
    }
    return a;
  }

  private save(): void {
    savePluginState(this.file, this.state);
  }

  private byId(id: string): PluginNetworkRecord | undefined {
    return this.state.networks.find((n) => n.id === id);
  }

  private find(nameOrId: string): PluginNetworkRecord {
    const n = this.lookup(nameOrId);
    if (!n) throw notFound(`network ${nameOrId} not found`, { details: { network: nameOrId } });
    return n;
  }

  private lookup(nameOrId: string): PluginNetworkRecord | undefined {
    return lookupNetwork(this.state.networks, nameOrId);
  }
}
