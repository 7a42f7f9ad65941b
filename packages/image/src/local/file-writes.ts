import { closeSync, constants, fchmodSync, fchownSync, futimesSync, openSync, readFileSync, writevSync } from 'node:fs';
import { internal } from '@tscr/api';

/** Files up to this size are read into memory and written in one go. */
export const SMALL_FILE = 1 << 20;

/** Ownership, mode and times to give a file. */
export interface FileMeta {
  /** Numeric owner, applied when set (as root). */
  owner?: { uid: number; gid: number };
  mode: number;
  times?: { atime: Date; mtime: Date };
}

/** How new files come out before any chown or chmod: what a creation gives for free. */
export interface Creation {
  /** The process's umask, when known (else every file gets a chmod). */
  umask: number | undefined;
  /** uid and gid a new file gets without a chown, or undefined when that is not known (a setgid directory). */
  owner: { uid: number; gid: number } | undefined;
}

const CREATE = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

/**
 * The process's umask, read from `/proc/self/status` (reading it with
 * `process.umask()` would set it twice); undefined where that is not there.
 */
export function processUmask(): number | undefined {
  try {
    const m = /^Umask:\s*([0-7]+)$/m.exec(readFileSync('/proc/self/status', 'latin1'));
    return m ? parseInt(m[1] as string, 8) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Creates `abs` (which must not exist: O_EXCL, and no final symlink is
 * followed) with `chunks` as content and `meta`'s owner, mode and times,
 * with blocking system calls: one open, one writev, one futimes, one close,
 * plus a chown only when the owner differs from what creation gives and a
 * chmod only when the mode is not what creation gives (special bits, bits
 * the umask takes away, or after a chown, which clears setuid bits).
 *
 * A layer holds thousands of small files: a call per system call through
 * the thread pool costs more than the calls themselves (a thread hop and a
 * wake-up each way), while these calls take microseconds.
 */
export function writeFileNow(abs: string, chunks: Buffer[], meta: FileMeta, creation: Creation): void {
  const mode = meta.mode & 0o7777;
  const fd = openSync(abs, CREATE, mode & 0o777);
  try {
    const size = chunks.reduce((n, c) => n + c.length, 0);
    let done = 0;
    let rest = chunks;
    while (done < size) {
      const n = writevSync(fd, rest);
      if (n <= 0) throw internal(`short write to ${abs}: ${done} of ${size} bytes`);
      done += n;
      rest = skip(rest, n);
    }
    const chown =
      meta.owner !== undefined &&
      (creation.owner === undefined || creation.owner.uid !== meta.owner.uid || creation.owner.gid !== meta.owner.gid);
    if (chown && meta.owner) fchownSync(fd, meta.owner.uid, meta.owner.gid);
    // chmod after chown: chown clears setuid/setgid bits.
    const masked = creation.umask === undefined || (mode & creation.umask) !== 0;
    if (chown || masked || mode > 0o777) fchmodSync(fd, mode);
    if (meta.times) futimesSync(fd, meta.times.atime, meta.times.mtime);
  } finally {
    closeSync(fd);
  }
}

/** `chunks` without their first `n` bytes. */
function skip(chunks: Buffer[], n: number): Buffer[] {
  const out: Buffer[] = [];
  let left = n;
  for (const c of chunks) {
    if (left >= c.length) {
      left -= c.length;
      continue;
    }
    out.push(left > 0 ? c.subarray(left) : c);
    left = 0;
  }
  return out;
}
