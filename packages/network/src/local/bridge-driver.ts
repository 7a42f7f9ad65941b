import { createHash, randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { failedPrecondition, failpoint, invalidArgument, notFound } from '@tscr/api';
import type { ConnectOptions, Endpoint, EndpointRequest, NetworkAttachment, PortBinding } from '../types.js';
import { DnsServer } from './dns.js';
import { installedJumps, renderPurge, renderRules, restoreRules, saveRules } from './firewall.js';
import {
  type WiredEndpoint,
  addEndpoints,
  bridgeName,
  createNamespace,
  deleteLinks,
  ensureBridge,
  hostRoutes,
  listLinks,
  mountsUnder,
  namespaceFiles,
  ownsInterface,
  removeNamespace,
  sysctl,
} from './host.js';
import {
  type Cidr,
  allocateAddress,
  contains,
  formatCidr,
  formatIp,
  macFor,
  overlaps,
  parseCidr,
  parseIp,
  pickSubnet,
  size,
} from './ipam.js';
import { type PortHolder, holdPort } from './ports.js';
import {
  type AttachmentRecord,
  type EndpointRecord,
  type NetworkRecord,
  type NetworkState,
  StateFile,
} from './state.js';

/** Options of {@link BridgeDriver}. */
export interface BridgeDriverOptions {
  /** Directory of the state file. */
  root: string;
  /** Directory of the namespace files (under the daemon's exec-root). */
  runDir: string;
  /** Prefix of every host object: 2-6 lowercase letters/digits. */
  prefix: string;
  /** Where subnets come from, and their size. */
  pool: string;
  poolSize: number;
  /** Port DNS servers listen on (53; tests may pick another). */
  dnsPort?: number;
  logger: (message: string) => void;
}

/**
 * Removes every host object of a prefix without any state: its bridges and
 * veths, the namespace files under `runDir`, its iptables chains and jumps.
 * For clean-up after a daemon that cannot clean up itself (tests, uninstall).
 */
export async function purgeHostNetwork(o: { prefix: string; runDir?: string }): Promise<void> {
  const links = await listLinks();
  await deleteLinks([...links.keys()].filter((n) => ownsInterface(o.prefix, n)));
  if (o.runDir) for (const f of await namespaceFiles(o.runDir)) await removeNamespace(f);
  await restoreRules(renderPurge(o.prefix, await saveRules()));
}

/** The network prefix of a daemon whose root is not the default: `ts` and 4 hex digits of the root's hash. */
export function networkPrefixForRoot(root: string): string {
  return `ts${createHash('sha256').update(root).digest('hex').slice(0, 4)}`;
}

/** Serializes async sections. */
class SerialLock {
  private tail: Promise<unknown> = Promise.resolve();
  run<T>(fn: () => Promise<T> | T): Promise<T> {
    const next = this.tail.then(fn, fn);
    this.tail = next.catch(() => undefined);
    return next;
  }
}

/** The name of the default network and its driver. */
export const DEFAULT_BRIDGE = 'bridge';

/**
 * Bridge networks on this host: one Linux bridge per network, a veth pair
 * per endpoint, NAT and isolation in iptables chains of our own, a DNS
 * server per network on its gateway. State is a JSON file, replaced
 * atomically; `init` reconciles the host with it.
 */
export class BridgeDriver {
  private state: NetworkState;
  private readonly file: StateFile;
  private readonly lock = new SerialLock();
  private readonly fwLock = new SerialLock();
  private readonly dns = new Map<string, DnsServer>();
  private readonly holders = new Map<string, PortHolder[]>();
  private jumpsInstalled = false;

  constructor(private readonly o: BridgeDriverOptions) {
    if (!/^[a-z][a-z0-9]{1,5}$/.test(o.prefix)) {
      throw invalidArgument(`invalid network prefix ${JSON.stringify(o.prefix)}: want 2-6 lowercase letters/digits`);
    }
    this.file = new StateFile(o.root);
    this.state = this.file.load();
  }

  /** Creates the default network when missing and reconciles host objects with the state. */
  async init(): Promise<void> {
    await mkdir(this.o.runDir, { recursive: true, mode: 0o700 });
    await this.lock.run(async () => {
      if (!this.state.networks.some((n) => n.builtin)) {
        const id = createHash('sha256').update(`tscr default bridge ${this.o.prefix}`).digest('hex');
        const rec = await this.newRecord(id, DEFAULT_BRIDGE, {}, true);
        this.state.networks.push(rec);
        this.save();
      }
      await this.reconcile();
    });
    await this.applyRules(await saveRules());
  }

  private async reconcile(): Promise<void> {
    const mounted = await mountsUnder(this.o.runDir);
    for (const [id, a] of Object.entries(this.state.attachments)) {
      const alive = a.kind === 'own' ? mounted.has(a.netns) : Boolean(this.state.attachments[a.target ?? '']);
      if (!alive) {
        this.o.logger(`network: dropping endpoints of ${id}: its namespace is gone`);
        delete this.state.attachments[id];
      }
    }
    const links = await listLinks();
    for (const [id, a] of Object.entries(this.state.attachments)) {
      // An endpoint recorded by a connect that a crash cut before its veth was made: it never existed.
      const wired = a.endpoints.filter((e) => a.kind !== 'own' || links.has(e.hostIf));
      if (wired.length === a.endpoints.length) continue;
      for (const e of a.endpoints.filter((x) => !wired.includes(x))) {
        this.o.logger(`network: dropping endpoint ${e.ip} of ${id}: its interface ${e.hostIf} was never made`);
      }
      a.endpoints = wired;
    }
    this.save();
    const known = new Set(Object.values(this.state.attachments).map((a) => a.netns));
    for (const f of await namespaceFiles(this.o.runDir)) if (!known.has(f)) await removeNamespace(f);
    const bridges = new Set(this.state.networks.map((n) => n.bridge));
    const veths = new Set(Object.values(this.state.attachments).flatMap((a) => a.endpoints.map((e) => e.hostIf)));
    const stale: string[] = [];
    for (const [name] of links) {
      const kind = ownsInterface(this.o.prefix, name);
      if ((kind === 'bridge' && !bridges.has(name)) || (kind === 'veth' && !veths.has(name))) stale.push(name);
    }
    await deleteLinks(stale);
    for (const n of this.state.networks) await this.bringUp(n);
    for (const a of Object.values(this.state.attachments)) {
      const held = await Promise.all(a.ports.map((p) => holdPort({ ...p }).catch(() => undefined)));
      this.holders.set(
        a.containerId,
        held.filter((h): h is PortHolder => h !== undefined),
      );
    }
  }

  /** Bridge, sysctls and DNS server of a network. */
  private async bringUp(n: NetworkRecord): Promise<void> {
    await ensureBridge(n);
    if (!n.internal) sysctl('net.ipv4.ip_forward', '1');
    if (this.dns.has(n.id)) return;
    const server = new DnsServer(
      n.gateway,
      (name, from) => this.resolve(n, name, from),
      undefined,
      this.o.dnsPort ?? 53,
    );
    try {
      await server.start();
      this.dns.set(n.id, server);
    } catch (err) {
      this.o.logger(`network ${n.name}: DNS server on ${n.gateway}: ${(err as Error).message}`);
    }
  }

  /**
   * Names a container asking from `from` on network `n` can resolve: the
   * container names, aliases and short IDs on every user network it shares
   * with them (the default `bridge` has no name resolution, as in Docker).
   */
  private resolve(n: NetworkRecord, name: string, from: string): string[] | undefined {
    const asker = Object.values(this.state.attachments).find((a) =>
      a.endpoints.some((e) => e.networkId === n.id && e.ip === from),
    );
    const nets = new Set(asker ? asker.endpoints.map((e) => e.networkId) : [n.id]);
    for (const id of nets) if (this.byId(id)?.builtin !== false) nets.delete(id);
    const ips: string[] = [];
    for (const a of Object.values(this.state.attachments)) {
      for (const e of a.endpoints) {
        if (!nets.has(e.networkId)) continue;
        const names = [a.name, ...e.aliases, a.containerId.slice(0, 12)].map((x) => x.toLowerCase());
        if (names.includes(name) && !ips.includes(e.ip)) ips.push(e.ip);
      }
    }
    return ips.length > 0 ? ips : undefined;
  }

  networks(): NetworkRecord[] {
    return this.state.networks.map((n) => ({ ...n }));
  }

  /** Endpoints on a network, by container. */
  endpointsOf(networkId: string): Endpoint[] {
    const out: Endpoint[] = [];
    for (const a of Object.values(this.state.attachments)) {
      for (const e of a.endpoints) if (e.networkId === networkId) out.push(this.toEndpoint(a, e));
    }
    return out;
  }

  private toEndpoint(a: AttachmentRecord, e: EndpointRecord): Endpoint {
    const n = this.byId(e.networkId);
    return {
      networkId: e.networkId,
      networkName: n?.name ?? '',
      containerId: a.containerId,
      containerName: a.name,
      aliases: [...e.aliases],
      interfaceName: e.ifname,
      ipAddress: e.ip,
      prefixLen: n ? parseCidr(n.subnet).bits : 0,
      gateway: n && !n.internal ? n.gateway : '',
      macAddress: e.mac,
      staticIp: e.staticIp,
    };
  }

  private byId(id: string): NetworkRecord | undefined {
    return this.state.networks.find((n) => n.id === id);
  }

  /** Creates a bridge network. */
  create(
    id: string,
    name: string,
    req: {
      subnet?: string;
      gateway?: string;
      ipRange?: string;
      internal?: boolean;
      labels?: Record<string, string>;
      options?: Record<string, string>;
    },
  ): Promise<NetworkRecord> {
    return this.lock.run(async () => {
      const rec = await this.newRecord(id, name, req, false);
      this.state.networks.push(rec);
      this.save();
      failpoint('network.create.after-record');
      try {
        await this.bringUp(rec);
      } catch (err) {
        this.state.networks = this.state.networks.filter((n) => n.id !== id);
        this.save();
        this.dns.get(id)?.close();
        this.dns.delete(id);
        await deleteLinks([rec.bridge]);
        throw err;
      }
      await this.applyRules();
      return { ...rec };
    });
  }

  private async newRecord(
    id: string,
    name: string,
    req: {
      subnet?: string;
      gateway?: string;
      ipRange?: string;
      internal?: boolean;
      labels?: Record<string, string>;
      options?: Record<string, string>;
    },
    builtin: boolean,
  ): Promise<NetworkRecord> {
    if ((req.gateway || req.ipRange) && !req.subnet) {
      throw invalidArgument('--gateway and --ip-range need --subnet', { details: { network: name } });
    }
    const bridge = bridgeName(this.o.prefix, id, builtin);
    const ours = new Set(this.state.networks.map((n) => n.bridge).concat(bridge));
    const taken = [...this.state.networks.map((n) => parseCidr(n.subnet))];
    const routes = await hostRoutes(ours);
    let subnet: Cidr;
    if (req.subnet) {
      subnet = parseCidr(req.subnet);
      if (subnet.bits > 30) throw invalidArgument(`subnet ${req.subnet} is too small: want /30 or larger`);
      const clash = this.state.networks.find((n) => overlaps(parseCidr(n.subnet), subnet!));
      if (clash) {
        throw failedPrecondition(`subnet ${req.subnet} overlaps with network ${clash.name} (${clash.subnet})`, {
          details: { subnet: req.subnet, network: clash.name },
        });
      }
      const route = routes.find((r) => overlaps(r, subnet!));
      if (route) {
        throw failedPrecondition(`subnet ${req.subnet} overlaps with a host route to ${formatCidr(route)}`, {
          details: { subnet: req.subnet },
        });
      }
    } else {
      subnet = pickSubnet(parseCidr(this.o.pool), this.o.poolSize, [...taken, ...routes]);
    }
    const gateway = req.gateway ? parseIp(req.gateway) : subnet.base + 1;
    if (!contains(subnet, gateway) || gateway === subnet.base || gateway === subnet.base + size(subnet) - 1) {
      throw invalidArgument(`gateway ${req.gateway} is not a usable address of subnet ${formatCidr(subnet)}`, {
        details: { gateway: req.gateway ?? '' },
      });
    }
    let ipRange: string | undefined;
    if (req.ipRange) {
      const r = parseCidr(req.ipRange);
      if (!contains(subnet, r.base) || !contains(subnet, r.base + size(r) - 1)) {
        throw invalidArgument(`ip range ${req.ipRange} is not inside subnet ${formatCidr(subnet)}`, {
          details: { ipRange: req.ipRange },
        });
      }
      ipRange = formatCidr(r);
    }
    const rec: NetworkRecord = {
      id,
      name,
      driver: 'bridge',
      created: new Date().toISOString(),
      labels: { ...(req.labels ?? {}) },
      options: { ...(req.options ?? {}) },
      internal: Boolean(req.internal),
      builtin,
      subnet: formatCidr(subnet),
      gateway: formatIp(gateway),
      bridge,
    };
    if (ipRange) rec.ipRange = ipRange;
    return rec;
  }

  /** Removes a user network. @throws FailedPrecondition while containers use it. */
  remove(id: string): Promise<void> {
    return this.lock.run(async () => {
      const n = this.byId(id);
      if (!n) return;
      const users = this.endpointsOf(id);
      if (users.length > 0) {
        throw failedPrecondition(
          `error while removing network: network ${n.name} has active endpoints (${users.map((u) => u.containerName).join(', ')})`,
          { details: { network: n.name } },
        );
      }
      this.state.networks = this.state.networks.filter((x) => x.id !== id);
      this.save();
      this.dns.get(id)?.close();
      this.dns.delete(id);
      await this.applyRules();
      await deleteLinks([n.bridge]);
    });
  }

  /** Finds a bridge network by its record. */
  find(id: string): NetworkRecord | undefined {
    const n = this.byId(id);
    return n ? { ...n } : undefined;
  }

  /**
   * Sets up a namespace with one endpoint per request (the first gets the
   * default route), and publishes ports on the first endpoint.
   */
  async attach(
    containerId: string,
    name: string,
    requests: Array<EndpointRequest & { networkId: string }>,
    ports: PortBinding[],
  ): Promise<NetworkAttachment> {
    const netns = join(this.o.runDir, `${this.o.prefix}-${containerId.slice(0, 32)}`);
    const held: PortHolder[] = [];
    const rec = await this.lock.run(async () => {
      if (this.state.attachments[containerId]) {
        throw failedPrecondition(`container ${containerId} is already attached`, { details: { id: containerId } });
      }
      try {
        for (const p of ports) held.push(await holdPort(p));
      } catch (err) {
        for (const h of held) h.close();
        throw err;
      }
      const a: AttachmentRecord = {
        containerId,
        name,
        kind: 'own',
        netns,
        endpoints: [],
        ports: held.map((h) => h.mapping),
      };
      try {
        for (const r of requests) a.endpoints.push(this.allocate(a, r.networkId, r));
      } catch (err) {
        for (const h of held) h.close();
        throw err;
      }
      this.state.attachments[containerId] = a;
      this.save();
      this.holders.set(containerId, held);
      return a;
    });
    try {
      await createNamespace(netns, this.wired(rec.endpoints), process.pid);
      if (rec.ports.length > 0) await this.applyRules();
    } catch (err) {
      await this.detach(containerId);
      throw err;
    }
    return this.describe(rec);
  }

  /** Joins another container's namespace (`container:<id>`). */
  attachShared(containerId: string, name: string, target: string): Promise<NetworkAttachment> {
    return this.lock.run(() => {
      const t = this.state.attachments[target];
      if (t?.kind !== 'own') {
        throw failedPrecondition(`container ${target} has no network namespace to join (is it running?)`, {
          details: { id: target },
        });
      }
      const a: AttachmentRecord = {
        containerId,
        name,
        kind: 'shared',
        netns: t.netns,
        target,
        endpoints: [],
        ports: [],
      };
      this.state.attachments[containerId] = a;
      this.save();
      return { ...this.describe(t), endpoints: [], ports: [] };
    });
  }

  private wired(eps: EndpointRecord[]): WiredEndpoint[] {
    return eps.map((ep) => ({ ep, net: this.byId(ep.networkId)! }));
  }

  /** Picks the address, MAC and interface names of a new endpoint (under the lock). */
  private allocate(a: AttachmentRecord, networkId: string, r: { aliases?: string[]; ip?: string }): EndpointRecord {
    const n = this.byId(networkId);
    if (!n) throw notFound(`network ${networkId} not found`, { details: { network: networkId } });
    if (a.endpoints.some((e) => e.networkId === networkId)) {
      throw failedPrecondition(`container ${a.name} is already connected to network ${n.name}`, {
        details: { network: n.name, id: a.containerId },
      });
    }
    const used = new Set<number>();
    for (const x of Object.values(this.state.attachments)) {
      for (const e of x.endpoints) if (e.networkId === networkId) used.add(parseIp(e.ip));
    }
    for (const e of a.endpoints) if (e.networkId === networkId) used.add(parseIp(e.ip));
    if (r.ip && n.builtin) {
      throw invalidArgument('user specified IP address is supported on user defined networks only');
    }
    const space = {
      subnet: parseCidr(n.subnet),
      gateway: parseIp(n.gateway),
      ...(n.ipRange && { range: parseCidr(n.ipRange) }),
    };
    const ip = allocateAddress(space, used, r.ip ? parseIp(r.ip) : undefined);
    const taken = new Set(a.endpoints.map((e) => e.ifname));
    let idx = 0;
    while (taken.has(`eth${idx}`)) idx++;
    return {
      networkId,
      aliases: [...(r.aliases ?? [])],
      ip: formatIp(ip),
      mac: macFor(ip),
      ifname: `eth${idx}`,
      hostIf: `v${this.o.prefix}${randomBytes(4).toString('hex')}`,
      staticIp: Boolean(r.ip),
    };
  }

  /** Tears down what `attach` set up; idempotent. */
  async detach(containerId: string): Promise<void> {
    const a = await this.lock.run(() => {
      const rec = this.state.attachments[containerId];
      if (!rec) return undefined;
      delete this.state.attachments[containerId];
      this.save();
      return rec;
    });
    if (!a) return;
    for (const h of this.holders.get(containerId) ?? []) h.close();
    this.holders.delete(containerId);
    if (a.kind === 'shared') return;
    // Unmounting frees the namespace, and the kernel then removes its veth pairs; deleting the host ends
    // ourselves as well makes that prompt, but costs 15-30 ms of kernel synchronization, so it is not waited for.
    void deleteLinks(a.endpoints.map((e) => e.hostIf));
    await Promise.all([removeNamespace(a.netns), a.ports.length > 0 ? this.applyRules() : undefined]);
  }

  /** Adds an endpoint to a running container. */
  async connect(containerId: string, networkId: string, opts: ConnectOptions): Promise<Endpoint> {
    const { a, ep } = await this.lock.run(() => {
      const rec = this.state.attachments[containerId];
      if (rec?.kind !== 'own') {
        throw failedPrecondition(`container ${containerId} is not running with a network namespace of its own`, {
          details: { id: containerId },
        });
      }
      const e = this.allocate(rec, networkId, opts);
      rec.endpoints.push(e);
      this.save();
      failpoint('network.connect.after-record');
      return { a: rec, ep: e };
    });
    try {
      const route = a.endpoints.every((e) => e === ep || this.byId(e.networkId)?.internal);
      await addEndpoints(a.netns, this.wired([ep]), process.pid, route);
    } catch (err) {
      await this.disconnect(containerId, networkId).catch(() => undefined);
      throw err;
    }
    return this.toEndpoint(a, ep);
  }

  /** Removes one endpoint of a running container. */
  async disconnect(containerId: string, networkId: string): Promise<void> {
    const ep = await this.lock.run(() => {
      const rec = this.state.attachments[containerId];
      const e = rec?.endpoints.find((x) => x.networkId === networkId);
      if (!rec || !e) {
        throw failedPrecondition(`container ${containerId} is not connected to network ${networkId}`, {
          details: { id: containerId, network: networkId },
        });
      }
      rec.endpoints = rec.endpoints.filter((x) => x !== e);
      this.save();
      failpoint('network.disconnect.after-record');
      return e;
    });
    await deleteLinks([ep.hostIf]);
  }

  /** What is set up for a container. */
  attachment(containerId: string): NetworkAttachment | undefined {
    const a = this.state.attachments[containerId];
    if (!a) return undefined;
    if (a.kind === 'shared') {
      const t = this.state.attachments[a.target ?? ''];
      return t ? { ...this.describe(t), endpoints: [], ports: [] } : undefined;
    }
    return this.describe(a);
  }

  private describe(a: AttachmentRecord): NetworkAttachment {
    const first = a.endpoints[0];
    const net = first && this.byId(first.networkId);
    return {
      mode: 'path',
      path: a.netns,
      endpoints: a.endpoints.map((e) => this.toEndpoint(a, e)),
      ports: a.ports.map((p) => ({ ...p })),
      dns: net ? [net.gateway] : [],
    };
  }

  /** Regenerates our iptables chains from the state, serialized. */
  private applyRules(existing?: string): Promise<void> {
    return this.fwLock.run(async () => {
      const have = existing ?? (this.jumpsInstalled ? installedJumps(this.o.prefix) : await saveRules());
      await restoreRules(renderRules(this.o.prefix, this.state, have));
      this.jumpsInstalled = true;
    });
  }

  private save(): void {
    this.file.save(this.state);
  }

  /** Stops the DNS servers and releases held ports; host objects stay (containers keep running). */
  close(): void {
    for (const d of this.dns.values()) d.close();
    this.dns.clear();
    for (const hs of this.holders.values()) for (const h of hs) h.close();
    this.holders.clear();
  }

  /**
   * Stops serving; when no container is attached, also removes the host
   * objects (bridges, chains), which the next `init` re-creates from the state.
   */
  async shutdown(): Promise<void> {
    await this.lock.run(async () => {
      this.close();
      if (Object.keys(this.state.attachments).length > 0) return;
      await this.removeHostObjects();
    });
  }

  /** Removes every host object of this prefix and forgets all state (tests, uninstall). */
  async purge(): Promise<void> {
    await this.lock.run(async () => {
      this.close();
      for (const a of Object.values(this.state.attachments)) if (a.kind === 'own') await removeNamespace(a.netns);
      this.state = { version: 1, networks: [], attachments: {} };
      this.save();
      await this.removeHostObjects();
    });
  }

  private async removeHostObjects(): Promise<void> {
    await this.fwLock.run(async () => {
      await purgeHostNetwork({ prefix: this.o.prefix, runDir: this.o.runDir });
      this.jumpsInstalled = false;
    });
  }
}
