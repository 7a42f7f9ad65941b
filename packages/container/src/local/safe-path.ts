import { lstat, readlink } from 'node:fs/promises';
import { posix } from 'node:path';
import { invalidArgument, notFound } from '@tscr/api';

const MAX_SYMLINKS = 40;

/** A container path resolved to the host. */
export interface ResolvedPath {
  /** Absolute, clean path inside the container (symlinks of the parents resolved). */
  inContainer: string;
  /** The same on the host: `<root><inContainer>`. */
  host: string;
}

/**
 * Resolves the container path `path` under the host directory `root` the way
 * the container would see it: a symlink in the way is followed inside the
 * root (an absolute target starts again at the container's `/`, never the
 * host's), and a `..` (in the path or a link target) that would climb above
 * `/` is refused. The last component is followed only with `followLast`. Components
 * that do not exist are kept as they are (the path may be about to be made).
 * @throws InvalidArgument (details.reason `PathEscapesRoot` for an escape) for a relative path, an
 * escape or a symlink loop.
 */
export async function resolveInContainer(root: string, path: string, followLast = false): Promise<ResolvedPath> {
  if (!path.startsWith('/')) {
    throw invalidArgument(`path must be absolute inside the container: ${JSON.stringify(path)}`);
  }
  const pending = path.split('/').filter(Boolean);
  const done: string[] = [];
  let hops = 0;
  let missing = false;
  while (pending.length > 0) {
    const part = pending.shift()!;
    if (part === '.') continue;
    if (part === '..') {
      if (done.length === 0) {
        throw invalidArgument(`path ${JSON.stringify(path)} escapes the container's root filesystem`, {
          details: { path, reason: 'PathEscapesRoot' },
        });
      }
      done.pop();
      continue;
    }
    const last = pending.length === 0;
    if (missing || (last && !followLast)) {
      done.push(part);
      continue;
    }
    const host = posix.join(root, ...done, part);
    let isLink = false;
    try {
      isLink = (await lstat(host)).isSymbolicLink();
    } catch {
      missing = true;
    }
    if (!isLink) {
      done.push(part);
      continue;
    }
    if (++hops > MAX_SYMLINKS) throw invalidArgument(`too many levels of symbolic links in ${path}`);
    const target = await readlink(host);
    if (target.startsWith('/')) done.length = 0;
    pending.unshift(...target.split('/').filter(Boolean));
  }
  const inContainer = `/${done.join('/')}`;
  return { inContainer, host: done.length ? posix.join(root, ...done) : root };
}

/** Like {@link resolveInContainer}, but the path must exist. @throws NotFound. */
export async function resolveExisting(root: string, path: string, followLast = false): Promise<ResolvedPath> {
  const r = await resolveInContainer(root, path, followLast);
  try {
    await lstat(r.host);
  } catch {
    throw notFound(`Could not find the file ${path} in container`, { details: { path } });
  }
  return r;
}
