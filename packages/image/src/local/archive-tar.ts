import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadEntry } from 'tar';
import { cancelled, fromSystemError, invalidArgument, isTscrError } from '@tscr/api';
import { cleanEntryPath } from './unpack.js';
import { lazyTar } from './tar-lazy.js';

const BLOCK = 512;

/** The two zero blocks that end a tar archive. */
export const TAR_END = Buffer.alloc(2 * BLOCK);

/** The 512-byte header of a regular file (root-owned, mode 0644) or, with size undefined, of a directory. */
export function tarHeader(path: string, size: number | undefined, mtime: Date): Buffer {
  const header = new (lazyTar().Header)({
    path: size === undefined ? `${path}/` : path,
    mode: size === undefined ? 0o755 : 0o644,
    uid: 0,
    gid: 0,
    size: size ?? 0,
    mtime,
    type: size === undefined ? 'Directory' : 'File',
  });
  const block = Buffer.alloc(BLOCK);
  header.encode(block, 0);
  return block;
}

/** Zero bytes that pad a file of `size` bytes to a whole block. */
export function tarPadding(size: number): Buffer {
  const rest = size % BLOCK;
  return Buffer.alloc(rest === 0 ? 0 : BLOCK - rest);
}

/** A regular file spooled out of an archive. */
export interface SpooledFile {
  /** Where it was written. */
  file: string;
  /** `sha256:` of its bytes. */
  digest: string;
  size: number;
}

/** The files of an archive, by cleaned path, and its symlinks (path → cleaned target). */
export interface SpooledArchive {
  files: Map<string, SpooledFile>;
  links: Map<string, string>;
  /** The file at `path`, following up to 8 symlinks (relative targets resolve from the link's directory). */
  lookup(path: string): SpooledFile | undefined;
}

/**
 * Reads a tar stream to its end, writing each regular file to `dir`
 * (numbered, never under its own name) and hashing it on the way, with
 * backpressure: nothing is held in memory beyond a chunk.
 * @throws InvalidArgument for a stream that is not a tar or is truncated;
 *   Cancelled on abort.
 */
export async function spoolArchive(
  tar: AsyncIterable<Uint8Array>,
  dir: string,
  signal?: AbortSignal,
): Promise<SpooledArchive> {
  await mkdir(dir, { recursive: true });
  const files = new Map<string, SpooledFile>();
  const links = new Map<string, string>();
  const parser = new (lazyTar().Parser)({ strict: true });
  let count = 0;
  let entryFailure: unknown;
  const pending: Promise<void>[] = [];
  parser.on('entry', (entry: ReadEntry) => {
    let path: string;
    try {
      path = cleanEntryPath(entry.path);
    } catch (err) {
      entryFailure ??= err;
      entry.resume();
      return;
    }
    if (entry.type === 'SymbolicLink' && entry.linkpath) {
      const target = entry.linkpath.startsWith('/') ? entry.linkpath : posix.join(posix.dirname(path), entry.linkpath);
      try {
        links.set(path, cleanEntryPath(target, 'link target'));
      } catch (err) {
        entryFailure ??= err;
      }
      entry.resume();
      return;
    }
    if (entry.type !== 'File' && entry.type !== 'OldFile') {
      entry.resume();
      return;
    }
    const file = join(dir, String(count++));
    const hash = createHash('sha256');
    let size = 0;
    const hasher = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        hash.update(chunk);
        size += chunk.length;
        cb(null, chunk);
      },
    });
    pending.push(
      pipeline(entry as unknown as NodeJS.ReadableStream, hasher, createWriteStream(file, { flags: 'wx' })).then(
        () => {
          files.set(path, { file, digest: `sha256:${hash.digest('hex')}`, size });
        },
        (err: unknown) => {
          entryFailure ??= err;
        },
      ),
    );
  });
  let sawData = false;
  async function* input(): AsyncGenerator<Buffer, void, undefined> {
    for await (const chunk of tar) {
      if (signal?.aborted) throw cancelled('archive read cancelled');
      if (chunk.byteLength > 0) sawData = true;
      yield Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    }
  }
  try {
    await pipeline(Readable.from(input()), parser as unknown as NodeJS.WritableStream, { signal });
    await Promise.all(pending);
  } catch (err) {
    await Promise.allSettled(pending);
    if (signal?.aborted) throw cancelled('archive read cancelled', { cause: err });
    if (isTscrError(err)) throw err;
    if ((err as { code?: string }).code?.startsWith('TAR_')) {
      throw invalidArgument(`not a valid image archive: ${(err as Error).message}`, { cause: err });
    }
    throw fromSystemError(err, 'cannot read the image archive');
  }
  if (entryFailure !== undefined) {
    if (isTscrError(entryFailure)) throw entryFailure;
    throw fromSystemError(entryFailure, 'cannot spool the image archive');
  }
  if (!sawData) throw invalidArgument('the image archive is empty');
  return {
    files,
    links,
    lookup(path: string) {
      let p = path;
      for (let i = 0; i < 8; i++) {
        const hit = files.get(p);
        if (hit) return hit;
        const next = links.get(p);
        if (next === undefined) return undefined;
        p = next;
      }
      return undefined;
    },
  };
}
