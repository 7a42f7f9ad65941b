import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { posix } from 'node:path';
import {
  alreadyExists,
  cancelled,
  failedPrecondition,
  failpoint,
  invalidArgument,
  notFound,
  type MountSpec,
} from '@tscr/api';
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
} from '../types.js';
import { copyUp, imagePathKind, isEmptyDir } from './copy-up.js';
import { checkDriverOptions } from './driver-options.js';
import { ANONYMOUS_LABEL, diskUsage, matchesFilters, matchesLabels } from './filters.js';
import { bindOptions } from './options.js';
import { VOLUME_NAME } from './parse-bind.js';
import { planMounts, type PlannedMount } from './plan-mounts.js';
import { VolumeStore, type VolumeRecord } from './volume-store.js';

/** Options of {@link createLocalVolumeService}. */
export interface LocalVolumeServiceOptions {
  /** Directory that holds the volumes (`<root>/<name>/_data`). */
  root: string;
  /** The name this driver answers to; default `local`. */
  driverName?: string;
}

function checkSignal(opts?: CallOptions): void {
  if (opts?.signal?.aborted) throw cancelled('volume call cancelled');
}

function noSuchVolume(name: string): never {
  throw notFound(`no such volume: ${name}`, { details: { volume: name } });
}

function checkName(name: string): void {
  if (!VOLUME_NAME.test(name)) {
    throw invalidArgument(
      `invalid volume name ${JSON.stringify(name)}: only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed (at least 2 characters)`,
      { details: { volume: name } },
    );
  }
}

/**
 * Docker's local volume driver, in process: volumes are directories under
 * the root with their records beside them, so they survive restarts; a
 * volume created with `type=tmpfs` or `type=none,o=bind` options is mounted
 * per container through the OCI spec, leaving nothing mounted on the host.
 * Also resolves bind and tmpfs mounts. Mutations are serialized.
 */
export class LocalVolumeService implements VolumeService {
  /** See {@link LocalVolumeServiceOptions.root}. */
  readonly root: string;
  private readonly store: VolumeStore;
  private readonly driver: string;
  private queue: Promise<unknown> = Promise.resolve();
  private swept = false;

  constructor(opts: LocalVolumeServiceOptions) {
    if (!posix.isAbsolute(opts.root)) throw invalidArgument(`volume root must be absolute: ${opts.root}`);
    this.root = opts.root;
    this.store = new VolumeStore(opts.root);
    this.driver = opts.driverName ?? 'local';
  }

  async list(opts: ListVolumesOptions = {}): Promise<Volume[]> {
    checkSignal(opts);
    if (!this.swept) await this.serial(async () => undefined); // the first call sweeps (see serial)
    const all = (await this.store.list()).map((r) => this.toVolume(r));
    return all.filter((v) => matchesFilters(v, opts.filters ?? {}));
  }

  async get(name: string, opts?: CallOptions): Promise<Volume> {
    checkSignal(opts);
    const rec = VOLUME_NAME.test(name) ? await this.store.get(name) : undefined;
    return rec ? this.toVolume(rec) : noSuchVolume(name);
  }

  /** @throws InvalidArgument for a malformed name or options; NotFound for another driver; AlreadyExists. */
  async create(name: string, opts: CreateVolumeOptions = {}): Promise<Volume> {
    checkSignal(opts);
    checkName(name);
    this.checkDriver(opts.driver);
    checkDriverOptions(name, opts.options ?? {});
    return this.serial(async () => {
      if (await this.store.get(name)) {
        throw alreadyExists(`volume ${name} already exists`, { details: { volume: name } });
      }
      return this.toVolume(await this.make(name, opts.labels ?? {}, opts.options ?? {}));
    });
  }

  async remove(name: string, opts: CallOptions & { force?: boolean } = {}): Promise<void> {
    checkSignal(opts);
    await this.serial(async () => {
      const rec = VOLUME_NAME.test(name) ? await this.store.get(name) : undefined;
      if (!rec) noSuchVolume(name);
      if (rec.usedBy.length > 0 && !opts.force) {
        throw failedPrecondition(`remove ${name}: volume is in use - [${rec.usedBy.join(', ')}]`, {
          details: { volume: name },
        });
      }
      // The record goes first: a crash before the data is gone leaves a directory no one lists (swept later).
      await this.store.unpublish(name);
      failpoint('volume.remove.after-meta');
      await this.store.delete(name);
    });
  }

  async prune(opts: PruneVolumesOptions = {}): Promise<PruneResult> {
    checkSignal(opts);
    return this.serial(async () => {
      const result: PruneResult = { volumesDeleted: [], spaceReclaimed: 0 };
      for (const rec of await this.store.list()) {
        if (rec.usedBy.length > 0) continue;
        if (!opts.all && !(ANONYMOUS_LABEL in rec.labels)) continue;
        if (!matchesLabels(rec.labels, opts.label ?? [])) continue;
        result.spaceReclaimed += await diskUsage(this.store.dataDir(rec.name));
        await this.store.delete(rec.name);
        result.volumesDeleted.push(rec.name);
      }
      return result;
    });
  }

  async release(containerId: string, opts: ReleaseOptions = {}): Promise<void> {
    checkSignal(opts);
    await this.serial(async () => {
      for (const rec of await this.store.list()) {
        if (!rec.usedBy.includes(containerId)) continue;
        rec.usedBy = rec.usedBy.filter((c) => c !== containerId);
        if (opts.removeAnonymous && rec.usedBy.length === 0 && ANONYMOUS_LABEL in rec.labels) {
          await this.store.delete(rec.name);
        } else await this.store.put(rec);
      }
    });
  }

  /**
   * Checks every request first (see `planMounts`), then creates missing
   * volumes, records the container as their user and fills new empty ones
   * from the image; on a failure in that second step, volumes created by
   * this call are removed again.
   */
  async resolveMounts(
    containerId: string,
    mounts: MountSpec[],
    opts: ResolveMountsOptions = {},
  ): Promise<ResolvedMount[]> {
    checkSignal(opts);
    const layers = opts.imageLayers ?? [];
    const plan = await planMounts(containerId, mounts, layers);
    for (const p of plan) {
      if (p.kind !== 'volume') continue;
      this.checkDriver(p.volume.driver);
      const name = p.volume.name || 'anonymous';
      const existing = p.volume.name ? await this.store.get(p.volume.name) : undefined;
      if (!existing) checkDriverOptions(name, p.volume.driverOptions);
    }
    return this.serial(async () => {
      const created: string[] = [];
      const touched: VolumeRecord[] = [];
      try {
        const out: ResolvedMount[] = [];
        for (const p of plan) out.push(await this.realize(containerId, p, layers, created, touched));
        return out;
      } catch (err) {
        for (const rec of touched) {
          rec.usedBy = rec.usedBy.filter((c) => c !== containerId);
          await this.store.put(rec).catch(() => undefined);
        }
        for (const name of created) await this.store.delete(name).catch(() => undefined);
        throw err;
      }
    });
  }

  private async realize(
    containerId: string,
    p: PlannedMount,
    layers: readonly string[],
    created: string[],
    touched: VolumeRecord[],
  ): Promise<ResolvedMount> {
    const { destination } = p;
    if (p.kind === 'bind') {
      if (p.mkdir) await mkdir(p.source, { recursive: true, mode: 0o755 });
      return {
        destination,
        type: 'bind',
        source: p.source,
        options: p.options,
        mountType: 'bind',
        rw: !p.options.includes('ro'),
      };
    }
    if (p.kind === 'tmpfs') {
      return {
        destination,
        type: 'tmpfs',
        source: 'tmpfs',
        options: p.options,
        mountType: 'tmpfs',
        rw: !p.options.includes('ro'),
      };
    }
    const req = p.volume;
    let rec = req.name ? await this.store.get(req.name) : undefined;
    if (!rec) {
      const anonymous = req.name === '';
      const name = anonymous ? randomBytes(32).toString('hex') : req.name;
      const labels = anonymous ? { ...req.labels, [ANONYMOUS_LABEL]: '' } : req.labels;
      rec = await this.make(name, labels, req.driverOptions);
      created.push(name);
    }
    if (!rec.usedBy.includes(containerId)) {
      rec.usedBy.push(containerId);
      await this.store.put(rec);
      touched.push(rec);
    }
    const special = checkDriverOptions(rec.name, rec.options);
    const rw = !req.readOnly;
    if (special?.type === 'tmpfs') {
      const options = special.options.map((o) => (o === 'rw' && !rw ? 'ro' : o));
      return { destination, type: 'tmpfs', source: 'tmpfs', options, mountType: 'volume', name: rec.name, rw };
    }
    const source = special?.source ?? this.store.dataDir(rec.name);
    const options = bindOptions(destination, req.readOnly, [...(special?.options ?? []), ...req.propagation]);
    if (!special && !req.noCopy && layers.length > 0 && (await isEmptyDir(source))) {
      if ((await imagePathKind(layers, destination)) === 'dir') await copyUp(layers, destination, source, this.root);
    }
    return { destination, type: 'bind', source, options, mountType: 'volume', name: rec.name, rw };
  }

  private async make(
    name: string,
    labels: Record<string, string>,
    options: Record<string, string>,
  ): Promise<VolumeRecord> {
    // A directory without a record is the leftover of an interrupted create or remove.
    await this.store.delete(name);
    await this.store.makeDirs(name);
    failpoint('volume.create.after-dir');
    const rec: VolumeRecord = {
      name,
      driver: this.driver,
      createdAt: new Date().toISOString(),
      labels: { ...labels },
      options: { ...options },
      usedBy: [],
    };
    try {
      await this.store.put(rec);
    } catch (err) {
      await this.store.delete(name);
      throw err;
    }
    return rec;
  }

  private checkDriver(driver: string | undefined): void {
    if (driver && driver !== this.driver) {
      throw notFound(`plugin ${JSON.stringify(driver)} not found`, { details: { driver } });
    }
  }

  private toVolume(rec: VolumeRecord): Volume {
    return {
      name: rec.name,
      driver: rec.driver,
      mountpoint: this.store.dataDir(rec.name),
      createdAt: rec.createdAt,
      labels: { ...rec.labels },
      options: { ...rec.options },
      usedBy: [...rec.usedBy],
    };
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    // The first change sweeps what an interrupted create or remove left: directories without a record.
    if (!this.swept) {
      this.swept = true;
      this.queue = this.queue.then(() => this.store.sweep()).catch(() => undefined);
    }
    const next = this.queue.then(fn, fn);
    this.queue = next.catch(() => undefined);
    return next;
  }
}

/** Creates the in-process volume layer. @throws InvalidArgument for a relative root. */
export function createLocalVolumeService(opts: LocalVolumeServiceOptions): LocalVolumeService {
  return new LocalVolumeService(opts);
}
