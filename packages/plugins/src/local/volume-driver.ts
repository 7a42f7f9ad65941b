/**
 * Docker's `VolumeDriver` protocol as a tscr {@link VolumeService}: volumes of one plug-in driver, with the
 * daemon's own records (labels, options, users, mounts) beside what the plug-in keeps.
 */
import { randomBytes } from 'node:crypto';
import { type MountSpec, alreadyExists, failedPrecondition, invalidArgument, isTscrError, notFound } from '@tscr/api';
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
} from '@tscr/volume';
import { ANONYMOUS_LABEL, VOLUME_NAME, matchesFilters, matchesLabels } from '@tscr/volume/local';
import type { Plugin } from '../types.js';
import type { PluginVolumeRecord, PluginVolumeRecords } from './volume-records.js';

/** dockerd's time limits of volume plug-in calls: create, remove, mount, unmount get the long one. */
export const VOLUME_TIMEOUTS = { longMs: 120_000, shortMs: 60_000 } as const;

/** Options of {@link PluginVolumeDriver}. */
export interface PluginVolumeDriverOptions {
  /** The driver's name (the plug-in's). */
  name: string;
  /** The plug-in, activated, implementing `VolumeDriver` (asked on every call, so a restarted one is found). */
  plugin: (opts?: CallOptions) => Promise<Plugin>;
  records: PluginVolumeRecords;
  /** Time limits, ms; default {@link VOLUME_TIMEOUTS}. */
  timeouts?: { longMs: number; shortMs: number };
  /** Where problems that do not fail a call are reported (an unreachable plug-in during `list`). */
  logger?: (message: string) => void;
}

interface WireVolume {
  Name?: unknown;
  Mountpoint?: unknown;
  CreatedAt?: unknown;
  Status?: unknown;
}

/** The volumes of one volume plug-in. */
export class PluginVolumeDriver implements VolumeService {
  readonly name: string;
  readonly #o: PluginVolumeDriverOptions;
  readonly #t: { longMs: number; shortMs: number };
  #scope: string | undefined;

  constructor(o: PluginVolumeDriverOptions) {
    this.name = o.name;
    this.#o = o;
    this.#t = o.timeouts ?? VOLUME_TIMEOUTS;
  }

  async #call<T>(method: string, body: unknown, long: boolean, opts: CallOptions = {}): Promise<T> {
    const plugin = await this.#o.plugin(opts);
    return plugin.call<T>(`VolumeDriver.${method}`, body, {
      timeoutMs: long ? this.#t.longMs : this.#t.shortMs,
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
  }

  /** `VolumeDriver.Capabilities`' scope (`local` or `global`); `local` when the plug-in has no such method. */
  async scope(opts?: CallOptions): Promise<string> {
    if (this.#scope) return this.#scope;
    try {
      const r = await this.#call<{ Capabilities?: { Scope?: unknown } }>('Capabilities', {}, false, opts);
      this.#scope = typeof r.Capabilities?.Scope === 'string' && r.Capabilities.Scope ? r.Capabilities.Scope : 'local';
    } catch (err) {
      if (!isTscrError(err) || err.code !== 'Unimplemented') throw err;
      this.#scope = 'local';
    }
    return this.#scope;
  }

  #toVolume(r: PluginVolumeRecord, mountpoint = ''): Volume {
    return {
      name: r.name,
      driver: this.name,
      mountpoint: mountpoint || Object.values(r.mounts)[0] || '',
      createdAt: r.createdAt,
      labels: { ...r.labels },
      options: { ...r.options },
      usedBy: [...r.usedBy],
    };
  }

  async list(opts: ListVolumesOptions = {}): Promise<Volume[]> {
    const records = await this.#o.records.list(this.name);
    const mountpoints = new Map<string, string>();
    try {
      const r = await this.#call<{ Volumes?: WireVolume[] }>('List', {}, false, opts);
      for (const v of Array.isArray(r.Volumes) ? r.Volumes : [])
        if (typeof v?.Name === 'string') mountpoints.set(v.Name, typeof v.Mountpoint === 'string' ? v.Mountpoint : '');
    } catch (err) {
      // A plug-in that is down does not hide the other drivers' volumes: its known ones are listed as recorded.
      this.#o.logger?.(`volume driver ${this.name}: List: ${(err as Error).message}`);
      for (const r of records) mountpoints.set(r.name, '');
    }
    const known = new Map(records.map((r) => [r.name, r]));
    const out = [...mountpoints].map(([name, mp]) => this.#toVolume(known.get(name) ?? this.#adopted(name), mp));
    return out.filter((v) => matchesFilters(v, opts.filters ?? {}));
  }

  /** A volume the plug-in has that the daemon did not make (another daemon's, or made before). */
  #adopted(name: string): PluginVolumeRecord {
    return { name, driver: this.name, createdAt: '', labels: {}, options: {}, usedBy: [], mounts: {} };
  }

  async get(name: string, opts?: CallOptions): Promise<Volume> {
    const rec = await this.#o.records.get(name);
    if (!rec || rec.driver !== this.name) throw notFound(`no such volume: ${name}`, { details: { volume: name } });
    const r = await this.#call<{ Volume?: WireVolume }>('Get', { Name: name }, false, opts).catch((err: unknown) => {
      // The plug-in's error for a volume it does not have is only a message (Err): NotFound when it had to have it.
      if (isTscrError(err) && err.code === 'Unknown')
        throw notFound(`no such volume: ${name} (${err.message})`, { cause: err, details: { volume: name } });
      throw err;
    });
    const v = this.#toVolume(rec, typeof r.Volume?.Mountpoint === 'string' ? r.Volume.Mountpoint : '');
    const status = r.Volume?.Status;
    if (status && typeof status === 'object' && Object.keys(status).length > 0)
      v.status = Object.fromEntries(
        Object.entries(status).map(([k, x]) => [k, typeof x === 'string' ? x : JSON.stringify(x)]),
      );
    v.scope = await this.scope(opts);
    return v;
  }

  async create(name: string, opts: CreateVolumeOptions = {}): Promise<Volume> {
    checkName(name);
    if (await this.#o.records.get(name)) throw alreadyThere(name);
    return this.#toVolume(await this.#ensure(name, opts.labels ?? {}, opts.options ?? {}, opts, true));
  }

  /** Creates volume `name` on the plug-in unless recorded (Docker's Create is idempotent on the plug-in side). */
  async #ensure(
    name: string,
    labels: Record<string, string>,
    options: Record<string, string>,
    opts: CallOptions,
    fresh = false,
  ): Promise<PluginVolumeRecord> {
    const known = await this.#o.records.get(name);
    if (known && !fresh) {
      if (known.driver !== this.name)
        throw alreadyThere(name, `volume ${name} already exists with driver ${known.driver}`);
      return known;
    }
    await this.#call('Create', { Name: name, Opts: options }, true, opts);
    return this.#o.records.update((records) => {
      const rec: PluginVolumeRecord = records.get(name) ?? {
        name,
        driver: this.name,
        createdAt: new Date().toISOString(),
        labels,
        options,
        usedBy: [],
        mounts: {},
      };
      records.set(name, rec);
      return structuredClone(rec);
    });
  }

  async remove(name: string, opts: CallOptions & { force?: boolean } = {}): Promise<void> {
    const rec = await this.#o.records.get(name);
    if (!rec || rec.driver !== this.name) throw notFound(`no such volume: ${name}`, { details: { volume: name } });
    if (rec.usedBy.length > 0 && !opts.force)
      throw failedPrecondition(`remove ${name}: volume is in use - [${rec.usedBy.join(', ')}]`, {
        details: { volume: name },
      });
    await this.#call('Remove', { Name: name }, true, opts);
    await this.#o.records.update((records) => void records.delete(name));
  }

  async prune(opts: PruneVolumesOptions = {}): Promise<PruneResult> {
    const out: PruneResult = { volumesDeleted: [], spaceReclaimed: 0 };
    for (const rec of await this.#o.records.list(this.name)) {
      if (rec.usedBy.length > 0) continue;
      if (!opts.all && !(ANONYMOUS_LABEL in rec.labels)) continue;
      if (!matchesLabels(rec.labels, opts.label ?? [])) continue;
      await this.remove(rec.name, opts);
      out.volumesDeleted.push(rec.name);
    }
    return out;
  }

  /**
   * Volume mounts of this driver: creates missing volumes, records the container as a user and, when the
   * container starts, mounts them (`VolumeDriver.Mount` with the container ID). On a failure the mounts made by
   * this call are undone.
   */
  async resolveMounts(
    containerId: string,
    mounts: MountSpec[],
    opts: ResolveMountsOptions = {},
  ): Promise<ResolvedMount[]> {
    const plans = mounts.map((m) => plan(m));
    const out: ResolvedMount[] = [];
    const mounted: string[] = [];
    try {
      for (const p of plans) {
        const rec = await this.#ensure(p.name, p.labels, p.options, opts);
        let source = rec.mounts[containerId] ?? '';
        if (opts.start && !source) {
          const r = await this.#call<{ Mountpoint?: unknown }>('Mount', { Name: p.name, ID: containerId }, true, opts);
          if (typeof r.Mountpoint !== 'string' || !r.Mountpoint.startsWith('/'))
            throw failedPrecondition(`volume driver ${this.name}: Mount of ${p.name} gave no absolute mountpoint`, {
              details: { volume: p.name, driver: this.name },
            });
          source = r.Mountpoint;
          mounted.push(p.name);
        }
        await this.#o.records.update((records) => {
          const live = records.get(p.name);
          if (!live) return;
          if (!live.usedBy.includes(containerId)) live.usedBy.push(containerId);
          if (source && opts.start) live.mounts[containerId] = source;
        });
        out.push({
          destination: p.target,
          type: 'bind',
          source,
          options: ['rbind', p.rw ? 'rw' : 'ro', 'rprivate'],
          mountType: 'volume',
          name: p.name,
          rw: p.rw,
        });
      }
    } catch (err) {
      await this.#unmountAll(containerId, mounted, opts).catch(() => undefined);
      throw err;
    }
    return out;
  }

  async unmount(containerId: string, opts: CallOptions = {}): Promise<void> {
    const names = (await this.#o.records.list(this.name)).filter((r) => containerId in r.mounts).map((r) => r.name);
    await this.#unmountAll(containerId, names, opts);
  }

  /** `VolumeDriver.Unmount` of each; a mount that could not be undone stays recorded. @throws the first failure. */
  async #unmountAll(containerId: string, names: string[], opts: CallOptions): Promise<void> {
    let first: unknown;
    for (const name of names) {
      try {
        await this.#call('Unmount', { Name: name, ID: containerId }, true, opts);
        await this.#o.records.update((records) => {
          const live = records.get(name);
          if (live) delete live.mounts[containerId];
        });
      } catch (err) {
        first ??= err;
      }
    }
    if (first) throw first;
  }

  async release(containerId: string, opts: ReleaseOptions = {}): Promise<void> {
    const used = (await this.#o.records.list(this.name)).some((r) => r.usedBy.includes(containerId));
    if (!used) return; // most containers use no volume of this driver: nothing to ask or write
    await this.unmount(containerId, opts).catch((err: unknown) => {
      // The container goes anyway; the mount stays recorded so `volume ls`/a later start shows it.
      this.#o.logger?.(`volume driver ${this.name}: unmount for ${containerId}: ${(err as Error).message}`);
    });
    const anonymous: string[] = [];
    await this.#o.records.update((records) => {
      for (const rec of records.values()) {
        if (rec.driver !== this.name || !rec.usedBy.includes(containerId)) continue;
        rec.usedBy = rec.usedBy.filter((id) => id !== containerId);
        if (opts.removeAnonymous && ANONYMOUS_LABEL in rec.labels && rec.usedBy.length === 0) anonymous.push(rec.name);
      }
    });
    for (const name of anonymous) await this.remove(name, opts);
  }
}

function checkName(name: string): void {
  if (!VOLUME_NAME.test(name))
    throw invalidArgument(`invalid volume name ${JSON.stringify(name)}: only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`, {
      details: { volume: name },
    });
}

function alreadyThere(name: string, message = `volume ${name} already exists`) {
  return alreadyExists(message, { details: { volume: name } });
}

interface Plan {
  name: string;
  target: string;
  rw: boolean;
  labels: Record<string, string>;
  options: Record<string, string>;
}

/** A volume mount's name (a fresh one for an anonymous volume), labels and driver options. */
function plan(m: MountSpec): Plan {
  if (m.type !== 'volume') throw invalidArgument(`a volume plug-in serves volume mounts only, not ${m.type}`);
  const labels: Record<string, string> = {};
  const options: Record<string, string> = {};
  for (const o of m.options ?? []) {
    const kv = (prefix: string) => o.slice(prefix.length).split(/=(.*)/s) as [string, string];
    if (o.startsWith('volume-opt=')) {
      const [k, v] = kv('volume-opt=');
      options[k] = v ?? '';
    } else if (o.startsWith('volume-label=')) {
      const [k, v] = kv('volume-label=');
      labels[k] = v ?? '';
    }
  }
  let name = m.source;
  if (name === '') {
    name = randomBytes(32).toString('hex');
    labels[ANONYMOUS_LABEL] = '';
  } else checkName(name);
  return { name, target: m.target, rw: !m.readOnly, labels, options };
}
