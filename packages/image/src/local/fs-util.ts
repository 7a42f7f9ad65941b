import { randomBytes } from 'node:crypto';
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { lstat, mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { fromSystemError, isErrno, spreadSubdirectories, throwIfCancelled } from '@tscr/api';

/** True when `path` exists (without following a final symlink). */
export async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return false;
    throw fromSystemError(err, `cannot stat ${path}`);
  }
}

/** A fresh sibling name for a temporary file next to `path`. */
export function tempSibling(path: string): string {
  return join(dirname(path), `.${basename(path)}.tmp-${randomBytes(6).toString('hex')}`);
}

/**
 * Replaces `path` with `data` atomically: readers see the old or the new
 * content, never a torn file. (No fsync: a crash may lose the last write.)
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const tmp = tempSibling(path);
  try {
    await writeFile(tmp, data, { flag: 'wx', mode: 0o644 });
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw fromSystemError(err, `cannot write ${path}`);
  }
}

/** {@link writeFileAtomic}, synchronously (for a small file on a call's path). */
export function writeFileAtomicSync(path: string, data: string | Uint8Array): void {
  const tmp = tempSibling(path);
  try {
    writeFileSync(tmp, data, { flag: 'wx', mode: 0o644 });
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw fromSystemError(err, `cannot write ${path}`);
  }
}

/** Throws Cancelled when `signal` has been aborted (the one check, from `@tscr/api`). */
export const throwIfAborted = (signal: AbortSignal | undefined): void => throwIfCancelled(signal);

const turns = new Map<string, number>();

/** Marks a directory as the top of unrelated trees (`chattr +T`); lives in `@tscr/api`, shared with the runtime and the daemon. */
export { spreadSubdirectories };

/** Scratch parents of {@link scratchParent}, each in a block group of its own. */
export const SCRATCH_PARENTS = 8;

/**
 * A directory to make a pull's scratch directory in: one of
 * {@link SCRATCH_PARENTS} subdirectories `s0`… of `dir`, in turn. `dir` is
 * marked as the top of unrelated trees (`chattr +T`, ext2/3/4's Orlov hint),
 * so its subdirectories are spread over block groups, and what is made under
 * each stays in its group. Taking them in turn, a pull does not make its
 * files in the group where the layer removed just before had its inodes:
 * ext4 without a journal steps over just-deleted inodes one by one for a
 * while (seconds, minutes while their table is dirty), so `rmi` then `pull`
 * paid for that on every file. Elsewhere (another filesystem, no `chattr`)
 * the directories are plain ones.
 */
export async function scratchParent(dir: string): Promise<string> {
  const turn = turns.get(dir) ?? 0;
  turns.set(dir, turn + 1);
  await spreadSubdirectories(dir);
  const parent = join(dir, `s${turn % SCRATCH_PARENTS}`);
  await mkdir(parent, { recursive: true, mode: 0o700 });
  return parent;
}
