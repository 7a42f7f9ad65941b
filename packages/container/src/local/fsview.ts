import { execFile } from 'node:child_process';
import { mkdir, readFile, rmdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { ContainerInfo, Mount } from '@tscr/api';
import { fromSystemError, internal } from '@tscr/api';
import { resolveExisting } from './safe-path.js';

/** A container's root filesystem as the host sees it, for as long as it is held. */
export interface RootView {
  /** Host directory that is the container's `/`. */
  root: string;
  /** Mount points inside the root other than `/` itself (volumes, /proc…), container paths. */
  mountPoints: string[];
  /** True when the container's root is mounted read-only. */
  readonly: boolean;
  /** Unmounts what was mounted for this view. Idempotent. */
  release(): Promise<void>;
}

function run(file: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(file, args, (err, _stdout, stderr) => {
      if (err) reject(internal(`${file} ${args.join(' ')}: ${String(stderr).trim() || err.message}`, { cause: err }));
      else resolve();
    });
  });
}

/** Decodes mountinfo's octal escapes (`\040` is a space). */
function decodeOctal(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(Number.parseInt(o, 8)));
}

/** Mount points of process `pid`'s namespace other than `/`, from /proc/<pid>/mountinfo. */
export async function mountPointsOf(pid: number): Promise<string[]> {
  try {
    const text = await readFile(`/proc/${pid}/mountinfo`, 'utf8');
    return text
      .split('\n')
      .map((l) => l.split(' ')[4])
      .filter((p): p is string => p !== undefined && p !== '/')
      .map(decodeOctal);
  } catch {
    return [];
  }
}

/**
 * The root of a running container: its init's `/proc/<pid>/root`, through
 * which every file the container sees (volumes included) is reachable.
 */
export async function runningView(info: ContainerInfo): Promise<RootView> {
  const root = info.rootfs || `/proc/${info.state.pid}/root`;
  return {
    root,
    mountPoints: await mountPointsOf(info.state.pid),
    readonly: Boolean(info.hostConfig.readonlyRootfs),
    release: async () => undefined,
  };
}

/**
 * The root of a stopped container: its snapshot (writable layer over the
 * image's layers) mounted at `dir`, with its volumes and binds mounted where
 * it would see them, until released. The caller holds the container's lock so
 * that it does not start meanwhile.
 */
export async function stoppedView(info: ContainerInfo, rootfs: Mount[], dir: string): Promise<RootView> {
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
  } catch (err) {
    throw fromSystemError(err, `cannot create ${dir}`);
  }
  const targets: string[] = [];
  const release = async () => {
    for (let t = targets.pop(); t !== undefined; t = targets.pop()) {
      await run('umount', [t]).catch(() => run('umount', ['-l', t]));
    }
    await rmdir(dir).catch(() => undefined);
  };
  const mountPoints: string[] = [];
  try {
    for (const m of rootfs) {
      const options = m.options.filter((o) => o !== 'rbind' && o !== 'bind');
      if (m.type === 'bind' || m.options.includes('bind') || m.options.includes('rbind')) {
        await run('mount', ['--bind', m.source, dir]);
      } else {
        await run('mount', ['-t', m.type, ...(options.length ? ['-o', options.join(',')] : []), m.source, dir]);
      }
      targets.push(dir);
    }
    for (const m of info.mounts ?? []) {
      // A tmpfs holds nothing while stopped; a mount point the image lacks was never made.
      if (m.type === 'tmpfs' || !m.source) continue;
      const at = await resolveExisting(dir, m.destination, true).catch(() => undefined);
      if (!at || !(await exists(m.source))) continue;
      await run('mount', ['--bind', m.source, at.host]);
      targets.push(at.host);
      if (!m.rw) await run('mount', ['-o', 'remount,bind,ro', at.host]);
      mountPoints.push(at.inContainer);
    }
  } catch (err) {
    await release();
    throw err;
  }
  return { root: dir, mountPoints, readonly: Boolean(info.hostConfig.readonlyRootfs), release };
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/** Where a stopped container's snapshot is mounted while its files are read or written. */
export function viewDir(containersDir: string, id: string): string {
  return join(containersDir, id, 'fsview');
}

/** The writable (upper) directory of an overlay snapshot; undefined for other snapshots. */
export function upperDirOf(rootfs: Mount[]): { upper: string; lowers: string[] } | undefined {
  if (rootfs.length !== 1 || rootfs[0]!.type !== 'overlay') return undefined;
  const opt = (k: string) => rootfs[0]!.options.find((o) => o.startsWith(`${k}=`))?.slice(k.length + 1);
  const upper = opt('upperdir');
  const lower = opt('lowerdir');
  return upper ? { upper, lowers: lower ? lower.split(':') : [] } : undefined;
}
