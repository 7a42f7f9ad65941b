import { randomBytes } from 'node:crypto';
import { lstatSync, renameSync } from 'node:fs';
import { lstat, readdir, readlink, rename, rm, stat as statFollow, unlink } from 'node:fs/promises';
import { posix } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { PathStat } from '@tscr/api';
import { failedPrecondition, fromSystemError, invalidArgument, isTscrError, notFound } from '@tscr/api';
import type { RootView } from './fsview.js';
import { resolveExisting } from './safe-path.js';

/** Go's os.FileMode type bits, as Docker's path-stat header carries them. */
const MODE_DIR = 2 ** 31;
const MODE_SYMLINK = 2 ** 27;
const MODE_DEVICE = 2 ** 26;
const MODE_PIPE = 2 ** 25;
const MODE_SOCKET = 2 ** 24;
const MODE_SETUID = 2 ** 23;
const MODE_SETGID = 2 ** 22;
const MODE_CHARDEV = 2 ** 21;
const MODE_STICKY = 2 ** 20;

/**
 * A stat as Docker's archive HEAD reports it. The container's root itself is
 * followed (a running container's root is the `/proc/<pid>/root` link).
 */
export async function pathStat(host: string, name: string): Promise<PathStat> {
  const st = name === '/' ? await statFollow(host) : await lstat(host);
  let mode = st.mode & 0o777;
  if (st.isDirectory()) mode += MODE_DIR;
  if (st.isSymbolicLink()) mode += MODE_SYMLINK;
  if (st.isBlockDevice()) mode += MODE_DEVICE;
  if (st.isCharacterDevice()) mode += MODE_DEVICE + MODE_CHARDEV;
  if (st.isFIFO()) mode += MODE_PIPE;
  if (st.isSocket()) mode += MODE_SOCKET;
  if (st.mode & 0o4000) mode += MODE_SETUID;
  if (st.mode & 0o2000) mode += MODE_SETGID;
  if (st.mode & 0o1000) mode += MODE_STICKY;
  return {
    name,
    size: st.size,
    mode,
    mtime: st.mtime.toISOString(),
    linkTarget: st.isSymbolicLink() ? await readlink(host) : '',
  };
}

/** True for a container path strictly below one of `mountPoints` (their contents are not ours to archive). */
function belowMount(inContainer: string, mountPoints: string[]): boolean {
  return mountPoints.some((m) => inContainer.startsWith(m.endsWith('/') ? m : `${m}/`));
}

/**
 * A tar stream of `entries` (relative to `cwd`, which is the container path
 * `cwdInContainer`), with modes, owners and symlinks as they are; nothing
 * below another mount point is included.
 */
async function packStream(cwd: string, cwdInContainer: string, entries: string[], mountPoints: string[]) {
  // `tar` is required on first use: a daemon that never copies files holds none of its code.
  const { Pack } = await import('tar');
  const pack = new Pack({
    cwd,
    portable: false,
    noPax: false,
    filter: (path: string) => !belowMount(posix.join(cwdInContainer, path), mountPoints),
  });
  for (const e of entries) pack.add(e);
  pack.end();
  return pack as unknown as AsyncIterable<Uint8Array>;
}

/**
 * Stat of a container path; the last component is followed only when the
 * path ends in `/` or `/.` (as `docker cp` treats `link/`). @throws NotFound; InvalidArgument.
 */
export async function statInView(view: RootView, path: string): Promise<PathStat> {
  const r = await resolveExisting(view.root, path, path.endsWith('/') || path.endsWith('/.'));
  return pathStat(r.host, posix.basename(r.inContainer) || '/');
}

/**
 * `path` as a tar stream whose entries are named from its base name. A path
 * ending in `/.` or `/` whose target is a symlink follows it (as `docker cp` does).
 * @throws NotFound; InvalidArgument.
 */
export async function archiveFromView(
  view: RootView,
  path: string,
): Promise<{ stat: PathStat; tar: AsyncIterable<Uint8Array> }> {
  const follow = path.endsWith('/') || path.endsWith('/.');
  const r = await resolveExisting(view.root, path, follow);
  const name = posix.basename(r.inContainer);
  const stat = await pathStat(r.host, name || '/');
  if (r.inContainer === '/') {
    const entries = await readdir(view.root);
    return { stat, tar: await packStream(view.root, '/', entries, view.mountPoints) };
  }
  // A mount the path lies in (a volume at /data for /data/f) is what is asked for; only mounts below it are left out.
  const within = (m: string) => r.inContainer === m || r.inContainer.startsWith(m.endsWith('/') ? m : `${m}/`);
  const below = view.mountPoints.filter((m) => !within(m));
  return { stat, tar: await packStream(posix.dirname(r.host), posix.dirname(r.inContainer), [name], below) };
}

/** The whole filesystem as a tar stream (entries without a leading `./`). */
export async function exportView(view: RootView): Promise<AsyncIterable<Uint8Array>> {
  const entries = (await readdir(view.root)).sort();
  return packStream(view.root, '/', entries, view.mountPoints);
}

/**
 * Extracts `tar` into the container directory `path`, keeping modes and
 * owners. Entries with `..` or absolute names, and entries that would be
 * written through a symlink, are refused by the extractor.
 * @throws NotFound; FailedPrecondition (not a directory, read-only root);
 * InvalidArgument (a malformed or escaping archive).
 */
export async function extractIntoView(
  view: RootView,
  path: string,
  tar: AsyncIterable<Uint8Array>,
  noOverwriteDirNonDir = false,
): Promise<void> {
  const r = await resolveExisting(view.root, path, true);
  const st = await statFollow(r.host); // resolved: only the root itself can still be a link
  if (!st.isDirectory()) {
    throw failedPrecondition(`extraction point is not a directory: ${path}`, { details: { path } });
  }
  if (view.readonly && !view.mountPoints.some((m) => r.inContainer === m || r.inContainer.startsWith(`${m}/`))) {
    throw failedPrecondition('container rootfs is marked read-only', { details: { path } });
  }
  const problems: string[] = [];
  const created = new CreatedPaths(r.host);
  const { Unpack } = await import('tar');
  const unpack = new Unpack({
    cwd: r.host,
    filter: (name: string, entry: unknown) => created.note(name, (entry as { type?: string }).type ?? ''),
    strict: true,
    preserveOwner: true,
    preservePaths: false,
    unlink: !noOverwriteDirNonDir,
    onwarn: (code: string, message: string | Error) => {
      problems.push(`${code}: ${message instanceof Error ? message.message : message}`);
    },
  });
  try {
    await pipeline(Readable.from(tar), unpack as unknown as NodeJS.WritableStream);
  } catch (err) {
    // What the failed extraction made (a partial file on a full disk) goes; what it replaced comes back.
    // The extractor may still be checking or opening the entry it was on: undoing under it would let it
    // clobber what is put back, so it is let finish first.
    await quiet(unpack as unknown as Parameters<typeof quiet>[0]);
    await created.undo();
    if (isTscrError(err)) throw err;
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string' && code.startsWith('TAR_')) {
      throw invalidArgument(`cannot extract the archive: ${(err as Error).message}`, { cause: err });
    }
    if (code === 'ENOENT') throw notFound(`cannot extract into ${path}: ${(err as Error).message}`, { cause: err });
    throw fromSystemError(err, `cannot extract into ${path}`);
  }
  if (problems.length > 0) {
    await created.undo();
    throw invalidArgument(`archive refused: ${problems.join('; ')}`);
  }
  await created.commit();
}

/**
 * What an extraction changes, so a failed one can be taken back: the entries
 * it creates (removed), and the files and links it replaces, which are moved
 * aside under a hidden name in their own directory before the archive's
 * version is written (put back). Names under a symlink the archive itself
 * made are not noted: removing them could reach out of the root.
 */
class CreatedPaths {
  private readonly made: { host: string; dir: boolean }[] = [];
  private readonly madeHosts = new Set<string>();
  private readonly replaced: { host: string; aside: string }[] = [];
  private readonly links: string[] = [];

  constructor(private readonly root: string) {}

  /** Called for each entry before it is written; always lets it through. */
  note(name: string, type: string): boolean {
    const rel = posix.normalize(name.replace(/^\/+/, ''));
    if (rel === '.' || rel.startsWith('..') || this.links.some((l) => rel === l || rel.startsWith(`${l}/`)))
      return true;
    if (type === 'SymbolicLink') this.links.push(rel);
    const host = posix.join(this.root, rel);
    const parts = rel.split('/');
    for (let i = 1; i < parts.length; i++) {
      // Through a symlink of the container's (the extractor refuses such entries): nothing to note.
      const st = lstatOrUndefined(posix.join(this.root, ...parts.slice(0, i)));
      if (st?.isSymbolicLink()) return true;
    }
    const before = lstatOrUndefined(host);
    if (!before) {
      this.made.push({ host, dir: type === 'Directory' });
      this.madeHosts.add(host);
    } else if (type !== 'Directory' && !before.isDirectory() && !this.madeHosts.has(host)) {
      // Replaced: the old file keeps its inode (content, mode, owner, times) under another name until the end.
      const aside = posix.join(posix.dirname(host), `.tscr-cp-${randomBytes(6).toString('hex')}`);
      try {
        renameSync(host, aside);
        this.replaced.push({ host, aside });
      } catch {
        // Cannot be moved aside (a busy mount point…): the extractor deals with it as it is.
      }
    }
    return true;
  }

  /** Removes what was made, last first (a directory it made goes with what is in it), and puts back what was replaced. */
  async undo(): Promise<void> {
    for (const m of [...this.made].reverse()) {
      await (m.dir ? rm(m.host, { recursive: true, force: true }) : unlink(m.host)).catch(() => undefined);
    }
    for (const r of [...this.replaced].reverse()) {
      await rm(r.host, { force: true }).catch(() => undefined);
      await rename(r.aside, r.host).catch(() => undefined);
    }
  }

  /** The extraction succeeded: drops the old versions (one the archive did not write after all is put back). */
  async commit(): Promise<void> {
    for (const r of this.replaced) {
      await (lstatOrUndefined(r.host) ? unlink(r.aside) : rename(r.aside, r.host)).catch(() => undefined);
    }
  }
}

/**
 * Resolves once node-tar's extractor has no file-system work in flight (its
 * private `pending` count; the package is pinned), or after 10 s.
 */
async function quiet(unpack: { on(event: 'error', cb: () => void): unknown; end(): unknown }): Promise<void> {
  // Ending it makes the entry it was on fail as truncated, which ends that entry's work.
  unpack.on('error', () => undefined);
  try {
    unpack.end();
  } catch {
    // already failed or ended
  }
  const key = Object.getOwnPropertySymbols(unpack).find((k) => k.description === 'pending');
  const pending = () => (key ? Number((unpack as Record<symbol, unknown>)[key]) : 0);
  for (let waited = 0; pending() > 0 && waited < 10_000; waited += 10) await new Promise((r) => setTimeout(r, 10));
}

function lstatOrUndefined(path: string): ReturnType<typeof lstatSync> | undefined {
  try {
    return lstatSync(path);
  } catch {
    return undefined;
  }
}
