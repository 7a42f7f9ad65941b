import { stat } from 'node:fs/promises';
import { posix } from 'node:path';
import {
  cancelled,
  fromSystemError,
  invalidArgument,
  isNotFound,
  notFound,
  unimplemented,
  type MountSpec,
} from '@tscr/api';
import type { CallOptions, CreateVolumeOptions, ResolvedMount, Volume, VolumeService } from '../types.js';
import { bindOptions, tmpfsOptions } from './options.js';
import { VOLUME_NAME, cleanTarget } from './parse-bind.js';

/** Options of {@link createLocalVolumeService}. */
export interface LocalVolumeServiceOptions {
  /** Directory that will hold named volumes (`<root>/<name>/_data`); nothing is written yet. */
  root: string;
}

function checkSignal(opts?: CallOptions): void {
  if (opts?.signal?.aborted) throw cancelled('volume call cancelled');
}

function noSuchVolume(name: string): never {
  throw notFound(`no such volume: ${name}`, { details: { volume: name } });
}

/**
 * The volume layer, in process. Resolves bind and tmpfs mounts; named and
 * anonymous volumes raise Unimplemented until the local volume driver lands.
 */
export class LocalVolumeService implements VolumeService {
  /** See {@link LocalVolumeServiceOptions.root}. */
  readonly root: string;

  constructor(opts: LocalVolumeServiceOptions) {
    if (!posix.isAbsolute(opts.root)) throw invalidArgument(`volume root must be absolute: ${opts.root}`);
    this.root = opts.root;
  }

  /** Always empty until named volumes are built. */
  async list(opts?: CallOptions): Promise<Volume[]> {
    checkSignal(opts);
    return [];
  }

  async get(name: string, opts?: CallOptions): Promise<Volume> {
    checkSignal(opts);
    return noSuchVolume(name);
  }

  /** @throws InvalidArgument for a malformed name; otherwise Unimplemented (named volumes). */
  async create(name: string, opts?: CreateVolumeOptions): Promise<Volume> {
    checkSignal(opts);
    if (!VOLUME_NAME.test(name)) {
      throw invalidArgument(
        `invalid volume name ${JSON.stringify(name)}: only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed (at least 2 characters)`,
        { details: { volume: name } },
      );
    }
    throw unimplemented('named volumes');
  }

  async remove(name: string, opts?: CallOptions & { force?: boolean }): Promise<void> {
    checkSignal(opts);
    noSuchVolume(name);
  }

  /**
   * `bind`: the source must be an absolute, existing host path (else
   * InvalidArgument / NotFound); options `rbind`, `ro` or `rw`, `rprivate`
   * (a propagation mode or `bind` in `options` replaces the default).
   * `tmpfs`: Docker's defaults `rw,nosuid,nodev,noexec` with the caller's
   * flags and `size=`/`mode=`/`uid=`/`gid=`/`nr_inodes=` applied.
   * `volume`: Unimplemented. Targets must be absolute, not `/`, and unique.
   */
  async resolveMounts(containerId: string, mounts: MountSpec[], opts?: CallOptions): Promise<ResolvedMount[]> {
    checkSignal(opts);
    const seen = new Set<string>();
    const out: ResolvedMount[] = [];
    for (const m of mounts) {
      const destination = cleanTarget(m.target);
      if (seen.has(destination)) {
        throw invalidArgument(`duplicate mount point: ${destination}`, {
          details: { target: destination, container: containerId },
        });
      }
      seen.add(destination);
      out.push(await this.resolveOne(containerId, m, destination));
    }
    return out;
  }

  private async resolveOne(containerId: string, m: MountSpec, destination: string): Promise<ResolvedMount> {
    const extra = m.options ?? [];
    switch (m.type) {
      case 'bind': {
        const source = await checkBindSource(containerId, m.source);
        const options = bindOptions(destination, m.readOnly === true, extra);
        return { destination, type: 'bind', source, options, mountType: 'bind', rw: !options.includes('ro') };
      }
      case 'tmpfs': {
        if (m.source !== '') {
          throw invalidArgument(`invalid tmpfs mount for ${destination}: a tmpfs has no source (got ${m.source})`, {
            details: { target: destination, container: containerId },
          });
        }
        const options = tmpfsOptions(destination, m.readOnly === true, extra);
        return { destination, type: 'tmpfs', source: 'tmpfs', options, mountType: 'tmpfs', rw: !options.includes('ro') };
      }
      case 'volume':
        throw unimplemented('named volumes');
      default:
        throw invalidArgument(`invalid mount type ${JSON.stringify(m.type as string)} for ${destination}`, {
          details: { target: destination, container: containerId },
        });
    }
  }
}

async function checkBindSource(containerId: string, source: string): Promise<string> {
  const details = { source, container: containerId };
  if (!posix.isAbsolute(source)) {
    throw invalidArgument(`invalid bind mount source ${JSON.stringify(source)}: it must be an absolute host path`, {
      details,
    });
  }
  const clean = posix.normalize(source);
  try {
    await stat(clean);
  } catch (err) {
    if (isNotFound(fromSystemError(err))) {
      throw notFound(`bind source path does not exist: ${clean}`, { cause: err, details });
    }
    throw fromSystemError(err, `cannot use bind source ${clean}`);
  }
  return clean.length > 1 ? clean.replace(/\/+$/, '') : clean;
}

/** Creates the in-process volume layer. @throws InvalidArgument for a relative root. */
export function createLocalVolumeService(opts: LocalVolumeServiceOptions): LocalVolumeService {
  return new LocalVolumeService(opts);
}
