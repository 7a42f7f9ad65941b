/**
 * Moving a container between two daemons, cold. (A live move would need
 * CRIU, whose Debian build fails on this kernel: the container is stopped,
 * moved, and started again on the target.) The client drives both daemons;
 * the bytes go daemon to daemon:
 *
 * 1. checks: the target has no container of that name nor any of its
 *    volumes; a volume another container uses stops the move unless
 *    `sharedVolumes` says `skip` (recreated empty on the target) or `copy`
 *    (copied and kept on the source);
 * 2. stops it (if running) and commits its writable layer as a diff:
 *    image `tscr-move/NAME:ID`, its original image plus that layer;
 * 3. the source daemon sends that image (and the original) and the volumes;
 * 4. networks of the same names are created on the target when missing
 *    (with the same subnet when the container has a fixed address on it);
 * 5. the container is created there with the same name, configuration,
 *    labels and networks (its image is the commit), started if it ran;
 * 6. only then it is removed from the source, with the volumes it alone used.
 *
 * Any failure before step 6 removes what was made on the target and leaves
 * the source as it was (started again if it was running).
 */
import { alreadyExists, failedPrecondition, isNotFound, type ContainerInfo } from '@tscr/api';
import type { ContainerService } from '@tscr/container';
import type { TransferService } from '@tscr/api';
import type { ImageService } from '@tscr/image';
import type { NetworkService } from '@tscr/network';
import type { VolumeService } from '@tscr/volume';

/** One daemon's services, as a move uses them. */
export interface MoveSide {
  containers: ContainerService;
  images: ImageService;
  volumes: VolumeService;
  networks: NetworkService;
  transfer: TransferService;
}

/** What to do with a volume another container also uses. */
export type SharedVolumePolicy = 'refuse' | 'skip' | 'copy';

/** Options of {@link moveContainer}. */
export interface MoveOptions {
  /** The target daemon's address as the source daemon dials it. */
  targetAddress: string;
  sharedVolumes?: SharedVolumePolicy;
  /** Seconds a running container gets to stop before it is killed (default 10, as `stop`). */
  stopTimeout?: number;
  /** Progress lines. */
  log?: (line: string) => void;
  signal?: AbortSignal;
}

/** What a move did. */
export interface MoveResult {
  /** The container's ID on the target. */
  id: string;
  /** The committed image it runs from there. */
  image: string;
  volumesCopied: string[];
  networksCreated: string[];
}

const BUILTIN_NETWORKS = new Set(['bridge', 'host', 'none', 'default']);

async function exists<T>(p: Promise<T>): Promise<T | undefined> {
  try {
    return await p;
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/** The volumes to copy, and those to leave (skip), after checking who else uses them. @throws FailedPrecondition. */
async function planVolumes(src: MoveSide, dst: MoveSide, info: ContainerInfo, policy: SharedVolumePolicy) {
  const copy: { name: string; shared: boolean }[] = [];
  for (const m of info.mounts) {
    if (m.type !== 'volume' || !m.name) continue;
    const vol = await src.volumes.get(m.name);
    const others = vol.usedBy.filter((id) => id !== info.id);
    if (await exists(dst.volumes.get(m.name)))
      throw alreadyExists(`volume ${m.name} already exists on the target`, { details: { volume: m.name } });
    if (others.length > 0) {
      if (policy === 'refuse')
        throw failedPrecondition(
          `volume ${m.name} is also used by ${others.map((o) => o.slice(0, 12)).join(', ')}: move with --shared-volumes=skip or --shared-volumes=copy`,
          { details: { volume: m.name } },
        );
      if (policy === 'skip') continue;
    }
    copy.push({ name: m.name, shared: others.length > 0 });
  }
  return copy;
}

/** Container and image names are lowercase in references. */
function moveReference(info: ContainerInfo): string {
  return `tscr-move/${info.name.toLowerCase().replace(/[^a-z0-9._-]/g, '-')}:${info.id.slice(0, 12)}`;
}

/** Moves container `name` from `src` to `dst` (see the module comment). @throws as the steps do; the source is restored first. */
export async function moveContainer(
  src: MoveSide,
  dst: MoveSide,
  name: string,
  opts: MoveOptions,
): Promise<MoveResult> {
  const log = opts.log ?? (() => undefined);
  const info = await src.containers.inspect(name);
  if (await exists(dst.containers.inspect(info.name)))
    throw alreadyExists(`the target already has a container named ${info.name}`, { details: { container: info.name } });
  const volumes = await planVolumes(src, dst, info, opts.sharedVolumes ?? 'refuse');
  const wasRunning = info.state.running || info.state.paused;
  const ref = moveReference(info);
  const made = { image: false, volumes: [] as string[], networks: [] as string[], container: '' };
  let committed = false;
  try {
    if (wasRunning) {
      log(`stopping ${info.name} (a cold move: live migration would need CRIU)`);
      await src.containers.stop(info.id, { timeout: opts.stopTimeout ?? 10 });
    }
    await src.containers.commit(info.id, { reference: ref, comment: `tscr container move of ${info.name}` });
    committed = true;
    log(`committed its writable layer as ${ref}`);
    const refs = [ref, ...((await exists(src.images.get(info.config.image))) ? [info.config.image] : [])];
    for await (const p of src.transfer.sendImages(
      refs,
      opts.targetAddress,
      opts.signal ? { signal: opts.signal } : {},
    )) {
      made.image = true;
      if (p.status === 'Recorded') log(`image ${p.ref} is on the target`);
    }
    for (const v of volumes) {
      const { bytes } = await src.transfer.sendVolume(v.name, opts.targetAddress);
      made.volumes.push(v.name);
      log(`volume ${v.name}: ${bytes} bytes copied`);
    }
    for (const net of Object.keys(info.networkSettings?.networks ?? {})) {
      if (BUILTIN_NETWORKS.has(net) || (await exists(dst.networks.get(net)))) continue;
      const n = await src.networks.get(net);
      // A fixed address (--ip) needs the same subnet on the target.
      const fixed = info.networkSettings?.networks[net]?.ipamConfig?.ipv4Address;
      const ipam = fixed ? n.ipam[0] : undefined;
      await dst.networks.create(net, {
        driver: n.driver,
        labels: n.labels,
        internal: n.internal,
        options: n.options,
        ...(ipam?.subnet && { subnet: ipam.subnet }),
        ...(ipam?.gateway && { gateway: ipam.gateway }),
      });
      made.networks.push(net);
      log(`network ${net} created on the target`);
    }
    const endpoints = Object.fromEntries(
      Object.entries(info.networkSettings?.networks ?? {}).map(([net, e]) => [
        net,
        { ...(e.aliases && { aliases: e.aliases }), ...(e.ipamConfig && { ipamConfig: e.ipamConfig }) },
      ]),
    );
    const created = await dst.containers.create({
      name: info.name,
      config: { ...info.config, image: ref },
      hostConfig: info.hostConfig,
      networkingConfig: endpoints,
    });
    made.container = created.id;
    if (wasRunning) await dst.containers.start(created.id);
    log(`${info.name} is ${wasRunning ? 'running' : 'created'} on the target`);
  } catch (err) {
    log(`move failed (${(err as Error).message}); undoing`);
    await undo(dst, made, ref);
    if (committed) await src.images.remove(ref, { force: true }).catch(() => undefined);
    if (wasRunning) await src.containers.start(info.id).catch(() => undefined);
    throw err;
  }
  // Only now does the source let go.
  await src.containers.remove(info.id, { force: true });
  for (const v of volumes) if (!v.shared) await src.volumes.remove(v.name).catch(() => undefined);
  await src.images.remove(ref, { force: true }).catch(() => undefined);
  return { id: made.container, image: ref, volumesCopied: made.volumes, networksCreated: made.networks };
}

/** Removes what a failed move made on the target; the target may be gone, so errors are ignored. */
async function undo(
  dst: MoveSide,
  made: { image: boolean; volumes: string[]; networks: string[]; container: string },
  ref: string,
): Promise<void> {
  const quiet = (p: Promise<unknown>) => p.catch(() => undefined);
  if (made.container) await quiet(dst.containers.remove(made.container, { force: true }));
  for (const v of made.volumes) await quiet(dst.volumes.remove(v, { force: true }));
  for (const n of made.networks) await quiet(dst.networks.remove(n));
  if (made.image) await quiet(dst.images.remove(ref, { force: true }));
}
