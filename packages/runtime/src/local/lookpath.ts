import { lstatSync, readlinkSync, statSync } from 'node:fs';
import { posix } from 'node:path';
import { TscrError } from '@tscr/api';

/** The PATH a process gets when its environment has none. */
export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

const MAX_SYMLINKS = 40;

/**
 * A root filesystem as seen from the host: one directory, or the layer
 * directories of an overlay that is not mounted on the host, top first.
 */
export type RootView = string | readonly string[];

// The look-ups below stat image layers on the local disk, a few dozen per
// container start: done synchronously (microseconds each), as a thread-pool
// round trip per component cost more than the work and queued behind every
// other file operation of a busy daemon.

/**
 * Finds `rel` in the topmost layer that has it, with overlayfs' rules for
 * whiteouts (a 0:0 character device hides the name below). Opaque
 * directories (an xattr Node cannot read) are not honoured; the result only
 * feeds the pre-flight checks, and runc has the last word.
 */
function lookupLayered(layers: readonly string[], rel: string[]) {
  for (const layer of layers) {
    const host = posix.join(layer, ...rel);
    try {
      // A missing name (most look-ups in a container's empty upper layer) without an exception: its Error with
      // a stack cost ~4x the lstat itself.
      const st = lstatSync(host, { throwIfNoEntry: false });
      if (!st) continue;
      if (st.isCharacterDevice() && st.rdev === 0) return undefined;
      return { host, st };
    } catch {
      /* not in this layer (a component is not a directory) */
    }
  }
  return undefined;
}

/**
 * Maps the in-container absolute `path` to a host path in `root`,
 * following symlinks as the container would see them (an absolute link
 * target stays inside the root, `..` never climbs above it).
 * Returns undefined when a component does not exist.
 */
export async function resolveInRoot(root: RootView, path: string): Promise<string | undefined> {
  const layers = typeof root === 'string' ? [root] : root;
  const pending = path.split('/').filter(Boolean);
  const done: string[] = [];
  let hops = 0;
  while (pending.length > 0) {
    const part = pending.shift()!;
    if (part === '.') continue;
    if (part === '..') {
      done.pop();
      continue;
    }
    const found = lookupLayered(layers, [...done, part]);
    if (!found) return undefined;
    const { host, st } = found;
    if (!st.isSymbolicLink()) {
      done.push(part);
      continue;
    }
    if (++hops > MAX_SYMLINKS) return undefined;
    const target = readlinkSync(host);
    if (target.startsWith('/')) done.length = 0;
    pending.unshift(...target.split('/').filter(Boolean));
  }
  if (done.length === 0) return layers[0];
  return lookupLayered(layers, done)?.host;
}

type Probe = 'ok' | 'missing' | 'not-executable';

async function probe(root: RootView, path: string): Promise<Probe> {
  const host = await resolveInRoot(root, path);
  if (host === undefined) return 'missing';
  try {
    const st = statSync(host, { throwIfNoEntry: false });
    if (!st) return 'missing';
    return st.isFile() && (st.mode & 0o111) !== 0 ? 'ok' : 'not-executable';
  } catch {
    return 'missing';
  }
}

/** True when `dir` is `mountPoint` or below it. */
function isUnder(dir: string, mountPoint: string): boolean {
  const m = posix.normalize(mountPoint).replace(/\/+$/, '') || '/';
  return m === '/' || dir === m || dir.startsWith(`${m}/`);
}

/**
 * Checks, before the OCI runtime is involved, that `arg0` names an
 * executable in the rootfs, the way the runtime's PATH lookup would (Go's
 * exec.LookPath rules). Skips the check (returns) when an extra mount could
 * provide the file, since those are not mounted yet.
 * @throws NotFound (details.reason `ExecutableNotFound`) or PermissionDenied
 * (details.reason `ExecutableNotExecutable`).
 */
export async function checkExecutable(
  root: RootView,
  arg0: string,
  env: string[],
  cwd: string,
  mountPoints: string[],
): Promise<void> {
  if (arg0 === '') return;
  const pathVar = env.find((e) => e.startsWith('PATH='))?.slice(5) ?? DEFAULT_PATH;
  const candidates = arg0.includes('/')
    ? [posix.resolve(cwd || '/', arg0)]
    : pathVar.split(':').map((d) => posix.join(posix.resolve('/', d || '.'), arg0));
  if (candidates.some((c) => mountPoints.some((m) => isUnder(posix.dirname(c), m) || isUnder(c, m)))) return;

  if (arg0.includes('/')) {
    const result = await probe(root, candidates[0]!);
    if (result === 'missing') {
      throw new TscrError('NotFound', `exec: "${arg0}": stat ${arg0}: no such file or directory`, {
        details: { reason: 'ExecutableNotFound', executable: arg0 },
      });
    }
    if (result === 'not-executable') {
      throw new TscrError('PermissionDenied', `exec: "${arg0}": permission denied`, {
        details: { reason: 'ExecutableNotExecutable', executable: arg0 },
      });
    }
    return;
  }
  for (const c of candidates) if ((await probe(root, c)) === 'ok') return;
  throw new TscrError('NotFound', `exec: "${arg0}": executable file not found in $PATH`, {
    details: { reason: 'ExecutableNotFound', executable: arg0 },
  });
}
