import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { randomBytes } from 'node:crypto';
import { internal, invalidArgument, isErrno, notFound } from '@tscr/api';
import { hostRoutes } from './host.js';
import {
  allocateAddress,
  contains,
  formatCidr,
  formatIp,
  overlaps,
  parseCidr,
  parseIp,
  pickSubnet,
  size,
} from './ipam.js';
import { type IpamCapabilities, ipamCapabilities } from './plugin-capabilities.js';
import {
  type AddressSpacesResponse,
  OPT,
  type PluginCallOptions,
  type PluginTransport,
  type RequestAddressResponse,
  type RequestPoolRequest,
  type RequestPoolResponse,
} from './remote-api.js';

/** A pool an allocator handed out. */
export interface AllocatedPool {
  poolId: string;
  /** `a.b.c.d/n`. */
  pool: string;
  /** The address space it came from (for the network driver's IPv4Data). */
  addressSpace: string;
  /** The allocator's own data about the pool, passed on to the network driver. */
  data: Record<string, string>;
}

/**
 * Gives networks their subnets and endpoints their addresses: the daemon's own ({@link LocalIpamAllocator})
 * or an IPAM plugin's ({@link PluginIpamAllocator}). All addresses are IPv4.
 */
export interface IpamAllocator {
  /** `default`, or the plugin's name: what `IPAM.Driver` shows. */
  readonly name: string;
  /**
   * A pool: `pool` when given (`--subnet`), else one the allocator picks; `subPool` narrows where addresses come from.
   * @throws InvalidArgument for a malformed subnet; FailedPrecondition/Unavailable when it cannot be had.
   */
  requestPool(
    req: { pool?: string; subPool?: string; options: Record<string, string> },
    opts?: PluginCallOptions,
  ): Promise<AllocatedPool>;
  /** Gives a pool back. */
  releasePool(poolId: string, opts?: PluginCallOptions): Promise<void>;
  /**
   * An address of the pool as `a.b.c.d/n`: `address` when given, the gateway's when `gateway` is set,
   * else any free one. @throws FailedPrecondition when taken; Unavailable when the pool is full.
   */
  requestAddress(
    poolId: string,
    req: { address?: string; gateway?: boolean; mac?: string },
    opts?: PluginCallOptions,
  ): Promise<string>;
  /** Gives an address (`a.b.c.d`) back. */
  releaseAddress(poolId: string, address: string, opts?: PluginCallOptions): Promise<void>;
  /**
   * Whether an endpoint's address request must carry its MAC (`mac`), so the MAC is chosen first (an IPAM
   * plugin's `RequiresMACAddress`). Absent: never.
   */
  requiresMacAddress?(opts?: PluginCallOptions): Promise<boolean>;
  /**
   * Whether the allocator forgets what it gave out when the daemon restarts, so its pools and addresses must be
   * asked for again (an IPAM plugin's `RequiresRequestReplay`). Absent: never.
   */
  requiresRequestReplay?(opts?: PluginCallOptions): Promise<boolean>;
}

/** The address space the daemon's allocator names its pools by, as libnetwork's default IPAM. */
const LOCAL_SPACE = 'LocalDefault';

interface PoolRecord {
  pool: string;
  subPool?: string;
  gateway?: string;
  used: string[];
}

/**
 * The daemon's own IPAM for networks of plugin drivers: /`size` subnets from `pool`, clear of each other and
 * of the host's routes, and addresses from them; kept in a JSON file.
 */
export class LocalIpamAllocator implements IpamAllocator {
  readonly name = 'default';
  private pools: Record<string, PoolRecord>;

  constructor(private readonly o: { file: string; pool: string; poolSize: number }) {
    this.pools = load(o.file);
  }

  async requestPool(req: {
    pool?: string;
    subPool?: string;
    options?: Record<string, string>;
  }): Promise<AllocatedPool> {
    const taken = Object.values(this.pools).map((p) => parseCidr(p.pool));
    let pool: string;
    if (req.pool) {
      const c = parseCidr(req.pool);
      if (taken.some((t) => overlaps(t, c))) {
        throw invalidArgument(`subnet ${req.pool} overlaps with another network's pool`, {
          details: { subnet: req.pool },
        });
      }
      pool = formatCidr(c);
    } else {
      const routes = await hostRoutes(new Set());
      pool = formatCidr(pickSubnet(parseCidr(this.o.pool), this.o.poolSize, [...taken, ...routes]));
    }
    const rec: PoolRecord = { pool, used: [] };
    if (req.subPool) {
      const sub = parseCidr(req.subPool);
      const c = parseCidr(pool);
      if (!contains(c, sub.base) || !contains(c, sub.base + size(sub) - 1))
        throw invalidArgument(`ip range ${req.subPool} is not inside subnet ${pool}`, {
          details: { ipRange: req.subPool },
        });
      rec.subPool = formatCidr(sub);
    }
    const poolId = `${LOCAL_SPACE}/${pool}/${randomBytes(4).toString('hex')}`;
    this.pools[poolId] = rec;
    this.save();
    return { poolId, pool, addressSpace: LOCAL_SPACE, data: {} };
  }

  async releasePool(poolId: string): Promise<void> {
    delete this.pools[poolId];
    this.save();
  }

  async requestAddress(poolId: string, req: { address?: string; gateway?: boolean }): Promise<string> {
    const p = this.pools[poolId];
    if (!p) throw notFound(`IPAM pool ${poolId} not found`, { details: { pool: poolId } });
    const subnet = parseCidr(p.pool);
    const used = new Set(p.used.map(parseIp));
    let ip: number;
    if (req.gateway) {
      ip = req.address ? parseIp(req.address) : subnet.base + 1;
      allocateAddress({ subnet, gateway: -1 }, used, ip);
      p.gateway = formatIp(ip);
    } else {
      const space = {
        subnet,
        gateway: p.gateway ? parseIp(p.gateway) : -1,
        ...(p.subPool && { range: parseCidr(p.subPool) }),
      };
      ip = allocateAddress(space, used, req.address ? parseIp(req.address) : undefined);
    }
    p.used.push(formatIp(ip));
    this.save();
    return `${formatIp(ip)}/${subnet.bits}`;
  }

  async releaseAddress(poolId: string, address: string): Promise<void> {
    const p = this.pools[poolId];
    if (!p) return;
    p.used = p.used.filter((a) => a !== address);
    if (p.gateway === address) delete p.gateway;
    this.save();
  }

  private save(): void {
    mkdirSync(dirname(this.o.file), { recursive: true, mode: 0o700 });
    writeFileSync(`${this.o.file}.tmp`, JSON.stringify({ pools: this.pools }), { mode: 0o600 });
    renameSync(`${this.o.file}.tmp`, this.o.file);
  }
}

function load(file: string): Record<string, PoolRecord> {
  try {
    return (JSON.parse(readFileSync(file, 'utf8')) as { pools?: Record<string, PoolRecord> }).pools ?? {};
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return {};
    throw internal(`read IPAM state ${file}: ${(err as Error).message}`, { cause: err });
  }
}

/** An IPAM plugin (`IpamDriver.*`) as an {@link IpamAllocator}. */
export class PluginIpamAllocator implements IpamAllocator {
  private space: Promise<string> | undefined;
  private caps: Promise<IpamCapabilities> | undefined;

  constructor(readonly plugin: PluginTransport) {}

  /** The plugin's `RequiresMACAddress` (asked once; a plugin without GetCapabilities needs no MAC). */
  async requiresMacAddress(opts?: PluginCallOptions): Promise<boolean> {
    return (await this.capabilities(opts)).requiresMacAddress;
  }

  /** The plugin's `RequiresRequestReplay` (asked once). */
  async requiresRequestReplay(opts?: PluginCallOptions): Promise<boolean> {
    return (await this.capabilities(opts)).requiresRequestReplay;
  }

  private capabilities(opts?: PluginCallOptions): Promise<IpamCapabilities> {
    this.caps ??= ipamCapabilities(this.plugin, opts);
    this.caps.catch(() => {
      this.caps = undefined;
    });
    return this.caps;
  }

  get name(): string {
    return this.plugin.name;
  }

  /** The plugin's local address space (asked once). */
  private addressSpace(opts?: PluginCallOptions): Promise<string> {
    this.space ??= this.plugin
      .call<AddressSpacesResponse>('IpamDriver.GetDefaultAddressSpaces', {}, opts)
      .then((r) => r?.LocalDefaultAddressSpace ?? '');
    this.space.catch(() => {
      this.space = undefined;
    });
    return this.space;
  }

  async requestPool(
    req: { pool?: string; subPool?: string; options: Record<string, string> },
    opts?: PluginCallOptions,
  ): Promise<AllocatedPool> {
    const space = await this.addressSpace(opts);
    const body: RequestPoolRequest = {
      AddressSpace: space,
      Pool: req.pool ?? '',
      SubPool: req.subPool ?? '',
      Options: req.options,
      V6: false,
    };
    const r = await this.plugin.call<RequestPoolResponse>('IpamDriver.RequestPool', body, opts);
    if (typeof r?.PoolID !== 'string' || typeof r.Pool !== 'string') {
      throw internal(`IPAM plugin ${this.name}: RequestPool answered without PoolID and Pool`);
    }
    try {
      parseCidr(r.Pool);
    } catch (err) {
      await this.releasePool(r.PoolID, opts).catch(() => undefined);
      throw internal(`IPAM plugin ${this.name}: RequestPool answered a bad pool ${JSON.stringify(r.Pool)}`, {
        cause: err,
      });
    }
    return { poolId: r.PoolID, pool: r.Pool, addressSpace: space, data: { ...r.Data } };
  }

  async releasePool(poolId: string, opts?: PluginCallOptions): Promise<void> {
    await this.plugin.call('IpamDriver.ReleasePool', { PoolID: poolId }, opts);
  }

  async requestAddress(
    poolId: string,
    req: { address?: string; gateway?: boolean; mac?: string },
    opts?: PluginCallOptions,
  ): Promise<string> {
    const options: Record<string, string> = req.gateway ? { [OPT.addressType]: OPT.gatewayType } : {};
    if (req.mac) options[OPT.macAddress] = req.mac;
    const r = await this.plugin.call<RequestAddressResponse>(
      'IpamDriver.RequestAddress',
      { PoolID: poolId, Address: req.address ?? '', Options: options },
      opts,
    );
    const address = typeof r?.Address === 'string' ? r.Address : '';
    const slash = address.indexOf('/');
    try {
      parseIp(address.slice(0, slash));
      if (slash < 0 || !/^\d{1,2}$/.test(address.slice(slash + 1))) throw new Error('no prefix length');
    } catch (err) {
      throw internal(`IPAM plugin ${this.name}: RequestAddress answered a bad address ${JSON.stringify(address)}`, {
        cause: err,
      });
    }
    return address;
  }

  async releaseAddress(poolId: string, address: string, opts?: PluginCallOptions): Promise<void> {
    await this.plugin.call('IpamDriver.ReleaseAddress', { PoolID: poolId, Address: address }, opts);
  }
}
