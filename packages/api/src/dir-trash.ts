import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, renameSync } from 'node:fs';
import { lstat, readdir, rmdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { setImmediate } from 'node:timers/promises';
import { type FailpointName, failpoint } from './failpoints.js';
import { isErrno } from './system-errors.js';

/** Options of {@link DirTrash}. */
export interface DirTrashOptions {
  /** The trash directory, on the same filesystem as what is moved into it (made when missing). */
  dir: string;
  /** Removes one entry (default: a recursive `rm`). A rejection is logged; the entry stays for the next sweep. */
  removeEntry?: (entry: string, key: string) => Promise<void>;
  /** Where failures are reported. */
  log?: (message: string) => void;
  /** Met right after each rename, before the removal begins (crash tests). */
  failpoint?: FailpointName;
}

/**
 * Directories removed behind the call that deleted them. {@link take}
 * renames a directory into a fresh entry `<dir>/<key>.<token>-<n>` (one
 * metadata change, synchronous: tens of microseconds, where a thread-pool
 * trip costs ten times that on a busy host) and removes the entry in the
 * background. Once the caller's records say the thing is gone, nothing can
 * observe the rest half-done; a crash in between leaves an entry that
 * {@link sweep} of the next instance removes. The token names this
 * instance's entries, so its sweep never takes one of them and no name is
 * ever reused.
 */
export class DirTrash {
  /** Entries being removed by this instance, by entry name. */
  private readonly pending = new Map<string, Promise<void>>();
  private seq = 0;
  private readonly token = randomBytes(4).toString('hex');
  private swept: Promise<void> | undefined;

  constructor(private readonly o: DirTrashOptions) {}

  /** The trash directory. */
  get dir(): string {
    return this.o.dir;
  }

  /**
   * Moves `from` into a new entry for `key` and removes it in the background.
   * Returns false (and does nothing) when `from` does not exist.
   */
  take(from: string, key: string): boolean {
    const name = `${key}.${this.token}-${++this.seq}`;
    if (!renameInto(from, this.o.dir, name)) return false;
    if (this.o.failpoint) failpoint(this.o.failpoint);
    this.remove(name);
    return true;
  }

  /** Settles once the background removals of `key` (of this instance, and the start-up sweep) are done. */
  async settledFor(key: string): Promise<void> {
    await this.swept;
    const mine = [...this.pending].filter(([name]) => entryKey(name) === key).map(([, p]) => p);
    if (mine.length > 0) await Promise.all(mine);
  }

  /** Settles once every background removal has ended. */
  async settled(): Promise<void> {
    await this.swept;
    while (this.pending.size > 0) await Promise.all(this.pending.values());
  }

  /**
   * Removes the entries an earlier instance left (a crash, or a shutdown
   * before its removals ended). Runs once; later calls return the same promise.
   */
  sweep(): Promise<void> {
    this.swept ??= (async () => {
      const names = await readdir(this.o.dir).catch(() => [] as string[]);
      const theirs = names.filter((n) => !n.includes(`.${this.token}-`));
      await Promise.all(theirs.map((n) => this.remove(n)));
    })();
    return this.swept;
  }

  /** Removes one entry in the background (errors are logged; the entry then stays for the next sweep). */
  private remove(name: string): Promise<void> {
    const entry = join(this.o.dir, name);
    const removeEntry = this.o.removeEntry ?? removeTree;
    // A tick later: none of it on the path of the call that trashed the entry.
    const done = setImmediate()
      .then(() => removeEntry(entry, entryKey(name)))
      .catch((err: unknown) => this.o.log?.(`removing ${entry}: ${(err as Error).message ?? String(err)}`))
      .finally(() => this.pending.delete(name));
    this.pending.set(name, done);
    return done;
  }
}

/**
 * rename(from, dir/name), making `dir` when it is missing. False when `from`
 * does not exist. Synchronous: see {@link DirTrash}.
 */
export function renameInto(from: string, dir: string, name: string): boolean {
  try {
    renameSync(from, join(dir, name));
    return true;
  } catch (err) {
    if (!isErrno(err, 'ENOENT')) throw err;
    if (!existsSync(from)) return false;
    mkdirSync(dir, { recursive: true });
    renameSync(from, join(dir, name));
    return true;
  }
}

/** The key of an entry name `<key>.<token>-<n>` (keys may hold dots, the suffix does not). */
function entryKey(name: string): string {
  const dot = name.lastIndexOf('.');
  return dot > 0 ? name.slice(0, dot) : name;
}

/** How many background file operations run at once (of Node's four pool threads). */
export const BACKGROUND_FILE_OPS = 2;
let running = 0;
const waiting: (() => void)[] = [];

/**
 * Runs one background file operation, at most {@link BACKGROUND_FILE_OPS}
 * at a time for the whole process, in the order asked: the removals behind
 * the calls go through here. Node's file operations share a pool of four
 * threads with every call's own (a create's directories, a start's bundle,
 * a record's copy); a recursive `rm` of a bundle queued a dozen at once,
 * three trashes side by side forty, and the next container's steps waited
 * behind them. This way removal leaves half the pool to the calls.
 */
export async function backgroundFileOp<T>(op: () => Promise<T>): Promise<T> {
  if (running >= BACKGROUND_FILE_OPS) await new Promise<void>((resolve) => waiting.push(resolve));
  running++;
  try {
    return await op();
  } finally {
    running--;
    waiting.shift()?.();
  }
}

/**
 * Removes `path` and everything under it, one operation after the other,
 * each through {@link backgroundFileOp}; a missing path is fine. Does not cross into a
 * mount: callers unmount first (as for `rm -r`).
 */
export async function removeTree(path: string): Promise<void> {
  const st = await backgroundFileOp(() => lstat(path)).catch(ignoreMissing);
  if (!st) return;
  if (!st.isDirectory()) return unlinkOne(path);
  const entries = await backgroundFileOp(() => readdir(path, { withFileTypes: true })).catch(ignoreMissing);
  for (const entry of entries ?? []) {
    const child = join(path, entry.name);
    if (entry.isDirectory()) await removeTree(child);
    else await unlinkOne(child);
  }
  await backgroundFileOp(() => rmdir(path)).catch(ignoreMissing);
}

/** Unlinks `path` (a directory after all: removed as a tree); a missing one is fine. */
function unlinkOne(path: string): Promise<void> {
  return backgroundFileOp(() => unlink(path)).catch((err: unknown) =>
    isErrno(err, 'EISDIR') ? removeTree(path) : ignoreMissing(err),
  );
}

/** A rejection handler: ENOENT settles with undefined, anything else is rethrown. */
function ignoreMissing(err: unknown): undefined {
  if (!isErrno(err, 'ENOENT')) throw err;
  return undefined;
}
