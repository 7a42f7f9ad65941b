import { copyFile, chmod, lchown, lstat, mkdir, open, readFile, readlink, rm, symlink } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { extract } from 'tar';
import { invalidArgument } from '@tscr/api';
import { resolveUserFrom } from '@tscr/runtime/local';
import { walkSource, type Source, type SourceRoot } from './sources.js';

/**
 * The host path of container path `path` under `root`, following symbolic
 * links inside the root the way the container would see them (an absolute
 * link target is taken relative to `root`), so nothing escapes it.
 */
export async function resolveInRoot(root: string, path: string): Promise<string> {
  const parts = posix.normalize(`/${path}`).split('/').filter(Boolean);
  const done: string[] = [];
  let hops = 0;
  while (parts.length > 0) {
    const part = parts.shift() as string;
    if (part === '..') {
      done.pop();
      continue;
    }
    const host = join(root, ...done, part);
    let target: string | undefined;
    try {
      const st = await lstat(host);
      if (st.isSymbolicLink()) target = await readlink(host);
    } catch {
      // missing: the rest is created as given
    }
    if (target === undefined) {
      done.push(part);
      continue;
    }
    if (++hops > 40) throw invalidArgument(`too many levels of symbolic links in ${path}`);
    const rest = target.split('/').filter(Boolean);
    if (target.startsWith('/')) done.length = 0;
    parts.unshift(...rest);
  }
  return join(root, ...done);
}

/** Owner and mode changes of a COPY/ADD (`--chown`, `--chmod`). */
export interface CopyAttrs {
  uid: number;
  gid: number;
  /** Octal mode for every copied file and directory, when given. */
  mode?: number;
}

/** Resolves `--chown=user[:group]` against the root's /etc/passwd and /etc/group (numbers need no files). */
export async function chownOf(
  root: string | undefined,
  spec: string | undefined,
): Promise<{ uid: number; gid: number }> {
  if (!spec) return { uid: 0, gid: 0 };
  const [u = '', g] = spec.split(':', 2) as [string?, string?];
  if (/^\d+$/.test(u) && (g === undefined || /^\d+$/.test(g))) return { uid: Number(u), gid: Number(g ?? u) };
  const read = async (p: string) =>
    root === undefined ? '' : await readFile(await resolveInRoot(root, p), 'utf8').catch(() => '');
  const user = resolveUserFrom(spec, await read('/etc/passwd'), await read('/etc/group'));
  return { uid: user.uid, gid: user.gid };
}

/** Parses `--chmod` (octal only). @throws InvalidArgument. */
export function chmodOf(spec: string | undefined): number | undefined {
  if (spec === undefined || spec === '') return undefined;
  if (!/^[0-7]{3,4}$/.test(spec)) throw invalidArgument(`invalid --chmod=${spec}: want an octal mode like 755`);
  return Number.parseInt(spec, 8);
}

async function mkdirs(root: string, containerDir: string, attrs: CopyAttrs): Promise<string> {
  const host = await resolveInRoot(root, containerDir);
  const missing: string[] = [];
  for (let p = host; p.length > root.length; p = posix.dirname(p)) {
    try {
      await lstat(p);
      break;
    } catch {
      missing.unshift(p);
    }
  }
  for (const p of missing) {
    await mkdir(p, { mode: 0o755 });
    await lchown(p, attrs.uid, attrs.gid);
  }
  return host;
}

async function copyEntry(abs: string, dest: string, attrs: CopyAttrs): Promise<void> {
  const st = await lstat(abs);
  if (st.isDirectory()) {
    let existing = false;
    try {
      existing = (await lstat(dest)).isDirectory();
    } catch {
      existing = false;
    }
    if (!existing) {
      await rm(dest, { recursive: true, force: true });
      await mkdir(dest);
    }
    await chmod(dest, attrs.mode ?? st.mode & 0o7777);
  } else {
    await rm(dest, { recursive: true, force: true });
    if (st.isSymbolicLink()) await symlink(await readlink(abs), dest);
    else if (st.isFile()) {
      await copyFile(abs, dest);
      await chmod(dest, attrs.mode ?? st.mode & 0o7777);
    } else return; // devices, fifos and sockets are not copied
  }
  await lchown(dest, attrs.uid, attrs.gid);
}

/**
 * Copies the sources to container path `dest` under `root`, with Docker's
 * rules: a directory source copies its contents; with several sources or a
 * `dest` ending in `/` the destination is a directory; missing parents are
 * created. With `extractTars` (ADD), a source that is a tar archive
 * (plain or gzip) is unpacked into the destination directory.
 */
export async function copySources(
  from: SourceRoot,
  sources: Source[],
  root: string,
  dest: string,
  attrs: CopyAttrs,
  extractTars = false,
): Promise<void> {
  const existing = await lstat(await resolveInRoot(root, dest)).catch(() => undefined);
  const destIsDir =
    dest.endsWith('/') || sources.length > 1 || dest === '.' || dest === '/' || existing?.isDirectory() === true;
  for (const src of sources) {
    if (extractTars && !src.isDir && (await isArchive(src.abs))) {
      const dir = await mkdirs(root, dest, attrs);
      await extract({ file: src.abs, cwd: dir, preserveOwner: true, strict: true });
      continue;
    }
    let target: string;
    if (src.isDir) target = dest;
    else if (destIsDir) target = posix.join(dest, posix.basename(src.rel));
    else target = dest;
    const parent = src.isDir ? target : posix.dirname(target);
    const parentHost = await mkdirs(root, parent, attrs);
    const topHost = src.isDir ? parentHost : join(parentHost, posix.basename(target));
    await walkSource(from, src, async (abs, relSrc) => {
      const hostDest = relSrc === '' ? topHost : await resolveInRoot(root, posix.join(target, relSrc));
      if (relSrc === '' && src.isDir) return; // the directory's contents go into dest, made above
      await copyEntry(abs, hostDest, attrs);
    });
  }
}

/** True for a tar archive ADD unpacks: gzip magic, or a ustar header. */
async function isArchive(file: string): Promise<boolean> {
  const fd = await open(file, 'r');
  try {
    const buf = Buffer.alloc(512);
    const { bytesRead } = await fd.read(buf, 0, 512, 0);
    if (bytesRead >= 2 && buf[0] === 0x1f && buf[1] === 0x8b) return true;
    return bytesRead === 512 && buf.toString('latin1', 257, 262) === 'ustar';
  } finally {
    await fd.close();
  }
}
