import { open } from 'node:fs/promises';
import type { ReadEntry } from 'tar';
import { internal } from '@tscr/api';

/** Files up to this size are read into memory and written in the background. */
export const SMALL_FILE = 1 << 20;
/** Background file writes at once: enough to keep the thread pool busy, and memory bounded (× {@link SMALL_FILE}). */
const IN_FLIGHT = 8;

/** Ownership, mode and times to give a file. */
export interface FileMeta {
  /** Numeric owner, applied when set (as root). */
  owner?: { uid: number; gid: number };
  mode: number;
  times?: { atime: Date; mtime: Date };
}

/**
 * Writes small regular files of a layer concurrently, at most
 * {@link IN_FLIGHT} at a time: the tar stream is sequential, but creating a
 * file takes several system calls, each a trip to the thread pool. The
 * caller must {@link drain} before any entry that could depend on a file
 * still being written (links, directories, a path written before).
 */
export class FileWrites {
  private readonly pending = new Set<Promise<void>>();
  private failure: unknown;

  /** Reads `entry`'s body and starts writing it to `abs`; waits while too many writes run. */
  async add(entry: ReadEntry, abs: string, meta: FileMeta): Promise<void> {
    this.check();
    const chunks: Buffer[] = [];
    for await (const chunk of entry) chunks.push(chunk as Buffer);
    const write: Promise<void> = writeFile(abs, chunks, meta).then(
      () => void this.pending.delete(write),
      (err: unknown) => {
        this.pending.delete(write);
        this.failure ??= err;
      },
    );
    this.pending.add(write);
    if (this.pending.size >= IN_FLIGHT) await Promise.race(this.pending);
    this.check();
  }

  /** Waits for every write started. @throws the first write's failure. */
  async drain(): Promise<void> {
    while (this.pending.size > 0) await Promise.all(this.pending);
    this.check();
  }

  /** Waits for every write started, ignoring failures (when the unpack is failing anyway). */
  async settle(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled(this.pending);
  }

  private check(): void {
    if (this.failure !== undefined) throw this.failure;
  }
}

/**
 * Creates `abs` (which must not exist) with `chunks` as content, then sets
 * owner, mode (after chown, which clears setuid bits) and times through the
 * open descriptor.
 */
export async function writeFile(abs: string, chunks: Buffer[], meta: FileMeta): Promise<void> {
  const fh = await open(abs, 'wx', 0o600);
  try {
    const size = chunks.reduce((n, c) => n + c.length, 0);
    const written = chunks.length === 1 ? await fh.write(chunks[0] as Buffer) : await fh.writev(chunks);
    if (written.bytesWritten !== size)
      throw internal(`short write to ${abs}: ${written.bytesWritten} of ${size} bytes`);
    if (meta.owner) await fh.chown(meta.owner.uid, meta.owner.gid);
    await fh.chmod(meta.mode);
    if (meta.times) await fh.utimes(meta.times.atime, meta.times.mtime);
  } finally {
    await fh.close();
  }
}
