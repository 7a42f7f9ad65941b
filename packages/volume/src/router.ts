import { alreadyExists, invalidArgument, isNotFound, notFound, type MountSpec } from '@tscr/api';
import type {
  CallOptions,
  CreateVolumeOptions,
  ListVolumesOptions,
  PruneResult,
  PruneVolumesOptions,
  ReleaseOptions,
  ResolveMountsOptions,
  ResolvedMount,
  Volume,
  VolumeService,
} from './types.js';
import { cleanTarget } from './local/parse-bind.js';

/** The driver every mount and volume uses unless it names another. */
export const DEFAULT_DRIVER = 'local';

const DRIVER_OPTION = 'volume-driver=';

function unknownDriver(driver: string): never {
  throw notFound(`plugin ${JSON.stringify(driver)} not found`, { details: { driver } });
}

/**
 * Volume drivers a {@link VolumeRouter} was not built with, found when first named (Docker's volume plug-ins).
 */
export interface VolumeDriverResolver {
  /** Drivers that hold volumes or were used (asked by list, get, prune, release, unmount). Must not block. */
  known(): string[];
  /**
   * The driver `name`.
   * @throws NotFound when there is no such driver; FailedPrecondition / Unavailable from the plug-in.
   */
  resolve(name: string, opts?: CallOptions): Promise<VolumeService>;
}

/**
 * A {@link VolumeService} over several volume drivers, each itself a
 * VolumeService (the local one, or one reached over gRPC in another
 * process — tscr's storage plugins). Requests naming a driver go to it;
 * an existing volume is served by the driver that holds it; bind and tmpfs
 * mounts, and everything else, go to `local`.
 */
export class VolumeRouter implements VolumeService {
  private readonly drivers: Map<string, VolumeService>;
  private readonly resolver: VolumeDriverResolver | undefined;

  /**
   * @param drivers by name; must include `local`.
   * @param resolver finds drivers not in `drivers` (plug-ins) when a call names them.
   * @throws InvalidArgument.
   */
  constructor(drivers: Record<string, VolumeService>, resolver?: VolumeDriverResolver) {
    if (!drivers[DEFAULT_DRIVER]) throw invalidArgument('a volume router needs the local driver');
    this.drivers = new Map(Object.entries(drivers));
    this.resolver = resolver;
  }

  /** The driver `name`, asking the resolver for one it does not have. @throws NotFound. */
  private async driver(name: string, opts?: CallOptions): Promise<VolumeService> {
    const have = this.drivers.get(name);
    if (have) return have;
    if (!this.resolver) unknownDriver(name);
    const found = await this.resolver.resolve(name, opts);
    this.drivers.set(name, found);
    return found;
  }

  /** Every driver: the built-in ones, then the resolver's known ones. */
  private async all(opts?: CallOptions): Promise<[string, VolumeService][]> {
    for (const name of this.resolver?.known() ?? []) if (!this.drivers.has(name)) await this.driver(name, opts);
    return [...this.drivers];
  }

  async list(opts: ListVolumesOptions = {}): Promise<Volume[]> {
    const wanted = opts.filters?.driver;
    const out: Volume[] = [];
    for (const [driver, svc] of await this.all(opts)) {
      if (wanted && wanted.length > 0 && !wanted.includes(driver)) continue;
      const filters = { ...opts.filters };
      delete filters.driver;
      const listOpts: ListVolumesOptions = { filters };
      if (opts.signal) listOpts.signal = opts.signal;
      out.push(...(await svc.list(listOpts)).map((v) => ({ ...v, driver })));
    }
    return out.sort((a, b) => a.name.localeCompare(b.name));
  }

  async get(name: string, opts?: CallOptions): Promise<Volume> {
    const [driver, svc] = await this.owner(name, opts);
    return { ...(await svc.get(name, opts)), driver };
  }

  async create(name: string, opts: CreateVolumeOptions = {}): Promise<Volume> {
    const driver = opts.driver || DEFAULT_DRIVER;
    const svc = await this.driver(driver, opts);
    const holder = await this.find(name, opts);
    if (holder && holder[0] !== driver) {
      throw alreadyExists(`volume ${name} already exists with driver ${holder[0]}`, { details: { volume: name } });
    }
    const rest: CreateVolumeOptions = { ...opts };
    delete rest.driver;
    return { ...(await svc.create(name, rest)), driver };
  }

  async remove(name: string, opts: CallOptions & { force?: boolean } = {}): Promise<void> {
    const [, svc] = await this.owner(name, opts);
    await svc.remove(name, opts);
  }

  async prune(opts: PruneVolumesOptions = {}): Promise<PruneResult> {
    const out: PruneResult = { volumesDeleted: [], spaceReclaimed: 0 };
    for (const [, svc] of await this.all(opts)) {
      const r = await svc.prune(opts);
      out.volumesDeleted.push(...r.volumesDeleted);
      out.spaceReclaimed += r.spaceReclaimed;
    }
    return out;
  }

  async release(containerId: string, opts?: ReleaseOptions): Promise<void> {
    for (const [, svc] of await this.all(opts)) await svc.release(containerId, opts);
  }

  async unmount(containerId: string, opts?: CallOptions): Promise<void> {
    for (const [, svc] of await this.all(opts)) await svc.unmount?.(containerId, opts);
  }

  /**
   * Splits the mounts by driver (keeping their order in the result) after
   * checking targets across all of them; each driver resolves its share.
   */
  async resolveMounts(
    containerId: string,
    mounts: MountSpec[],
    opts: ResolveMountsOptions = {},
  ): Promise<ResolvedMount[]> {
    const seen = new Set<string>();
    for (const m of mounts) {
      const t = cleanTarget(m.target);
      if (seen.has(t))
        throw invalidArgument(`duplicate mount point: ${t}`, { details: { target: t, container: containerId } });
      seen.add(t);
    }
    const groups = new Map<string, { index: number; spec: MountSpec }[]>();
    for (const [index, m] of mounts.entries()) {
      const driver = await this.driverOf(m, opts);
      const spec: MountSpec = { ...m };
      const options = m.options?.filter((o) => !o.startsWith(DRIVER_OPTION));
      if (options && options.length > 0) spec.options = options;
      else delete spec.options;
      groups.set(driver, [...(groups.get(driver) ?? []), { index, spec }]);
    }
    const out: ResolvedMount[] = new Array<ResolvedMount>(mounts.length);
    for (const [driver, items] of groups) {
      const svc = await this.driver(driver, opts);
      const resolved = await svc.resolveMounts(
        containerId,
        items.map((i) => i.spec),
        opts,
      );
      for (const [k, r] of resolved.entries()) out[items[k]!.index] = r;
    }
    return out;
  }

  private async driverOf(m: MountSpec, opts: CallOptions): Promise<string> {
    if (m.type !== 'volume') return DEFAULT_DRIVER;
    const asked = m.options?.find((o) => o.startsWith(DRIVER_OPTION))?.slice(DRIVER_OPTION.length);
    if (asked) await this.driver(asked, opts);
    const holder = m.source ? await this.find(m.source, opts) : undefined;
    return holder?.[0] ?? (asked || DEFAULT_DRIVER);
  }

  private async find(name: string, opts?: CallOptions): Promise<[string, VolumeService] | undefined> {
    for (const entry of await this.all(opts)) {
      try {
        await entry[1].get(name, opts);
        return entry;
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
    return undefined;
  }

  private async owner(name: string, opts?: CallOptions): Promise<[string, VolumeService]> {
    const found = await this.find(name, opts);
    if (!found) throw notFound(`no such volume: ${name}`, { details: { volume: name } });
    return found;
  }
}
