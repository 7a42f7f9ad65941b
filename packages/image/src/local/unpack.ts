import { execFile } from 'node:child_process';
import {
  chmodSync,
  closeSync,
  createReadStream,
  lchownSync,
  linkSync,
  lstatSync,
  lutimesSync,
  mkdirSync,
  openSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeSync,
} from 'node:fs';
import { join, posix } from 'node:path';
import type { Readable } from 'node:stream';
import { promisify } from 'node:util';
import type { ReadEntry } from 'tar';
import { fromSystemError, internal, invalidArgument, isTscrError, unimplemented } from '@tscr/api';
import { SMALL_FILE, processUmask, writeFileNow, type Creation, type FileMeta } from './file-writes.js';
import { throwIfAborted } from './fs-util.js';
import { findCommand } from './commands.js';
import { DEFAULT_LAYER_LIMITS, layerTooLarge, type LayerLimits } from './layer-limits.js';
import { lazyTar } from './tar-lazy.js';

const run = promisify(execFile);

const WHITEOUT_PREFIX = '.wh.';
const OPAQUE_MARKER = '.wh..wh..opq';

/** Options of {@link unpackLayer}. */
export interface UnpackOptions {
  signal?: AbortSignal;
  /** Size and entry bounds; {@link DEFAULT_LAYER_LIMITS} where unset. */
  limits?: LayerLimits;
}

/** What an unpack wrote. */
export interface UnpackStats {
  /**
   * Bytes of content unpacked: regular files (hard links once) and symlink
   * targets, as `du --apparent-size` of the layer counts it and as Docker
   * reports a layer's size.
   */
  size: number;
}

interface DirTimes {
  abs: string;
  atime: Date;
  mtime: Date;
}

/**
 * Makes a tar path relative to the layer root, lexically cleaned the way
 * Docker does (`/a/./b` → `a/b`). @throws InvalidArgument when it escapes.
 */
export function cleanEntryPath(path: string, what = 'path'): string {
  const stripped = path.replace(/^\/+/, '');
  const norm = posix.normalize(stripped === '' ? '.' : stripped).replace(/\/+$/, '');
  if (norm === '..' || norm.startsWith('../')) {
    throw invalidArgument(`tar entry ${what} ${JSON.stringify(path)} escapes the layer directory`, {
      details: { path },
    });
  }
  return norm === '.' ? '' : norm;
}

/** Read size for layer tar files: big reads keep the per-chunk overhead low. */
const READ_CHUNK = 1 << 20;

/** The entries of a tar stream, one at a time; the next comes once the last was consumed. */
async function* entriesOf(
  input: Readable,
  what: string,
  limits: LayerLimits = {},
): AsyncGenerator<ReadEntry, void, undefined> {
  const maxBytes = limits.maxBytes ?? DEFAULT_LAYER_LIMITS.maxBytes;
  const maxEntries = limits.maxEntries ?? DEFAULT_LAYER_LIMITS.maxEntries;
  const parser = new (lazyTar().Parser)({ strict: true });
  const queue: ReadEntry[] = [];
  let done = false;
  let failure: unknown;
  let wake: (() => void) | undefined;
  const notify = () => {
    wake?.();
    wake = undefined;
  };
  let entries = 0;
  let head = Buffer.alloc(0);
  const sniff = (chunk: Buffer) => {
    head = Buffer.concat([head, chunk.subarray(0, 512 - head.length)]);
    if (head.length >= 512) input.off('data', sniff);
  };
  input.on('data', sniff);
  let bytes = 0;
  let last: ReadEntry | undefined;
  // Past a limit, or the source or the archive broken: stop feeding the parser and fail the entry
  // being read, so its reader stops too (else it waits for the rest of a body that never comes).
  const fail = (err: unknown) => {
    if (failure !== undefined) return;
    failure = err;
    input.unpipe();
    // The parser may still write the chunk in hand to it: those writes fail quietly.
    last?.on('error', () => undefined).destroy(err);
    notify();
  };
  input.on('data', (chunk: Buffer) => {
    bytes += chunk.length;
    if (bytes > maxBytes) fail(layerTooLarge(what, 'maxBytes', maxBytes));
  });
  parser.on('entry', (e: ReadEntry) => {
    entries++;
    last = e;
    if (entries > maxEntries) fail(layerTooLarge(what, 'maxEntries', maxEntries));
    queue.push(e);
    notify();
  });
  parser.on('end', () => {
    done = true;
    notify();
  });
  let drain = false;
  parser.on('error', (err: unknown) => {
    if (entries === 0 && head.length === 512 && head.every((b) => b === 0)) {
      // An empty archive: only the end-of-archive blocks, which node-tar refuses. What follows
      // them is read to its end (and ignored, as tar readers do), so the source completes.
      done = drain = true;
      return notify();
    }
    fail(invalidArgument(`malformed tar archive: ${err instanceof Error ? err.message : String(err)}`, { cause: err }));
  });
  input.on('error', (err) => fail(fromSystemError(err, `cannot read ${what}`)));
  // Destroyed without an error (a pipeline torn down elsewhere): the archive stops short.
  input.on('close', () => {
    if (!done && !input.readableEnded) fail(invalidArgument(`${what} ended before the end of the archive`));
  });
  input.pipe(parser as unknown as NodeJS.WritableStream);
  try {
    for (;;) {
      if (failure !== undefined) throw failure;
      const e = queue.shift();
      if (e) yield e;
      else if (done) return;
      else await new Promise<void>((resolve) => (wake = resolve));
    }
  } finally {
    if (drain && failure === undefined) input.unpipe().resume();
    else input.destroy();
  }
}

/**
 * Applies a layer tar to the empty directory `dest`, preserving modes
 * (setuid bits included), numeric ownership (when root), times, symlinks,
 * hard links and device nodes. Entries that escape `dest`, or that would
 * be written through a symbolic link, fail the unpack with InvalidArgument.
 * Whiteouts become overlayfs whiteouts: `.wh.x` a 0:0 character device,
 * `.wh..wh..opq` the `trusted.overlay.opaque` xattr (via `setfattr`, else
 * Unimplemented). A layer past `options.limits` fails with ResourceExhausted
 * (`details.limit`). The caller removes `dest` when this throws.
 */
export async function unpackLayer(tarFile: string, dest: string, options: UnpackOptions = {}): Promise<UnpackStats> {
  return unpackLayerStream(createReadStream(tarFile, { highWaterMark: READ_CHUNK }), dest, options, tarFile);
}

/**
 * Like {@link unpackLayer}, reading the (uncompressed) tar from `input`,
 * which it consumes with backpressure and destroys when done. An error
 * `input` emits fails the unpack with that error (a TscrError as is).
 * @param what names the input in errors.
 */
export async function unpackLayerStream(
  input: Readable,
  dest: string,
  options: UnpackOptions = {},
  what = 'the layer stream',
): Promise<UnpackStats> {
  try {
    const u = new Unpacker(dest);
    for await (const entry of entriesOf(input, what, options.limits)) {
      throwIfAborted(options.signal);
      try {
        await u.apply(entry);
      } finally {
        entry.resume();
      }
    }
    await u.finish();
    return { size: u.size };
  } catch (err) {
    if (isTscrError(err)) throw err;
    throw fromSystemError(err, 'cannot unpack layer');
  }
}

/**
 * Applies tar entries one at a time with blocking system calls (see
 * `writeFileNow`): each takes microseconds, while a trip through the thread
 * pool per call costs more than the call. Only file bodies are awaited,
 * so the event loop still turns between chunks of the stream.
 */
class Unpacker {
  private readonly knownDirs = new Set<string>(['']);
  private readonly whiteouts: string[] = [];
  private readonly opaques: string[] = [];
  private readonly dirTimes: DirTimes[] = [];
  /** Every path this unpack created: anything else does not exist (`dest` starts empty). */
  private readonly seen = new Set<string>();
  private readonly root = process.getuid?.() === 0;
  /** What a new file gets without chown or chmod; the owner is forgotten once a directory is setgid. */
  private readonly creation: Creation;
  /** See {@link UnpackStats.size}. */
  size = 0;

  constructor(private readonly dest: string) {
    const owner = this.root ? { uid: process.geteuid?.() ?? 0, gid: process.getegid?.() ?? 0 } : undefined;
    this.creation = { umask: processUmask(), owner };
    if (lstatSync(dest).mode & 0o2000) this.creation.owner = undefined;
  }

  async apply(entry: ReadEntry): Promise<void> {
    const rel = cleanEntryPath(entry.path);
    const abs = rel === '' ? this.dest : join(this.dest, rel);
    if (rel === '') {
      if (entry.type !== 'Directory') throw invalidArgument('tar entry for the layer root is not a directory');
      this.setMetadata(entry, abs, true);
      return;
    }
    const dir = posix.dirname(rel);
    const base = posix.basename(rel);
    this.ensureDir(dir === '.' ? '' : dir, entry.path);
    if (base === OPAQUE_MARKER) {
      this.opaques.push(dir === '.' ? '' : dir);
      return;
    }
    if (base.startsWith(WHITEOUT_PREFIX)) {
      this.whiteouts.push(posix.join(dir, base.slice(WHITEOUT_PREFIX.length)));
      return;
    }
    const isDir = entry.type === 'Directory' || entry.type === 'GNUDumpDir';
    const fresh = !this.seen.has(rel) && !this.knownDirs.has(rel);
    this.seen.add(rel);
    if (isFile(entry)) this.size += entry.size ?? 0;
    else if (entry.type === 'SymbolicLink') this.size += Buffer.byteLength(entry.linkpath ?? '');
    if (fresh && isSmallFile(entry)) {
      const chunks: Buffer[] = [];
      for await (const chunk of entry) chunks.push(chunk as Buffer);
      writeFileNow(abs, chunks, this.metaOf(entry), this.creation);
      return;
    }
    if (!fresh) this.clearTarget(rel, abs, isDir);
    switch (entry.type) {
      case 'Directory':
      case 'GNUDumpDir':
        try {
          mkdirSync(abs, { mode: 0o700 });
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        }
        this.knownDirs.add(rel);
        break;
      case 'File':
      case 'OldFile':
      case 'ContiguousFile':
        await writeEntry(entry, abs);
        break;
      case 'SymbolicLink':
        symlinkSync(entry.linkpath ?? '', abs);
        break;
      case 'Link': {
        const target = cleanEntryPath(entry.linkpath ?? '', 'link target');
        if (target === '' || this.knownDirs.has(target) || !this.seen.has(target) || target === rel) {
          throw badLink(entry.path, entry.linkpath ?? '', 'is not a file of this layer');
        }
        const targetDir = posix.dirname(target);
        this.assertDir(targetDir === '.' ? '' : targetDir, entry.path);
        try {
          linkSync(join(this.dest, target), abs);
        } catch (err) {
          const code = (err as NodeJS.ErrnoException).code ?? '';
          if (['ENOENT', 'EPERM', 'EISDIR', 'ENOTDIR', 'EXDEV'].includes(code)) {
            throw badLink(entry.path, entry.linkpath ?? '', `cannot be linked to (${code})`);
          }
          throw err;
        }
        return; // a hard link shares its target's metadata
      }
      case 'CharacterDevice':
      case 'BlockDevice':
      case 'FIFO':
        await makeNode(abs, entry);
        break;
      default:
        return; // metadata-only and unsupported entry kinds carry no file
    }
    this.setMetadata(entry, abs, isDir);
  }

  /** Applies whiteouts and directory times once every entry is in place. */
  async finish(): Promise<void> {
    for (const rel of this.whiteouts) {
      const abs = join(this.dest, rel);
      // A whiteout hides lower layers only; this layer's own entry wins.
      if (lstatSync(abs, { throwIfNoEntry: false })) continue;
      await run('mknod', ['-m', '0000', abs, 'c', '0', '0']).catch((err: unknown) => {
        throw fromSystemError(err, `cannot create whiteout ${rel}`);
      });
    }
    if (this.opaques.length > 0) {
      const setfattr = findCommand('setfattr');
      if (!setfattr) throw unimplemented('layer whiteouts: opaque directories (setfattr is not installed)');
      for (const rel of this.opaques) {
        await run(setfattr, ['-n', 'trusted.overlay.opaque', '-v', 'y', join(this.dest, rel)]).catch((err: unknown) => {
          throw fromSystemError(err, `cannot mark ${rel || '/'} opaque`);
        });
      }
    }
    for (const d of this.dirTimes.reverse()) utimesSync(d.abs, d.atime, d.mtime);
  }

  /** Makes every missing directory of `rel`, refusing to pass through a symlink. */
  private ensureDir(rel: string, entryPath: string): void {
    if (this.knownDirs.has(rel)) return;
    let sofar = '';
    for (const part of rel.split('/')) {
      sofar = sofar ? `${sofar}/${part}` : part;
      if (this.knownDirs.has(sofar)) continue;
      const abs = join(this.dest, sofar);
      const st = lstatSync(abs, { throwIfNoEntry: false });
      if (!st) mkdirSync(abs, { mode: 0o755 });
      else if (st.isSymbolicLink()) throw throughSymlink(entryPath, sofar);
      else if (!st.isDirectory()) throw invalidArgument(`tar entry parent ${JSON.stringify(sofar)} is not a directory`);
      this.knownDirs.add(sofar);
    }
  }

  /** Checks every component of `rel` is an existing real directory. */
  private assertDir(rel: string, entryPath: string): void {
    let sofar = '';
    for (const part of rel === '' ? [] : rel.split('/')) {
      sofar = sofar ? `${sofar}/${part}` : part;
      const st = lstatSync(join(this.dest, sofar), { throwIfNoEntry: false });
      if (!st) throw invalidArgument(`tar link ${JSON.stringify(entryPath)} has a missing target directory`);
      if (st.isSymbolicLink()) throw throughSymlink(entryPath, sofar);
      if (!st.isDirectory()) throw invalidArgument(`tar link ${JSON.stringify(entryPath)} has a bad target`);
    }
  }

  /** Removes what is in the way of a new entry (a directory stays for a directory). */
  private clearTarget(rel: string, abs: string, isDir: boolean): void {
    const st = lstatSync(abs, { throwIfNoEntry: false });
    if (!st || (isDir && st.isDirectory())) return;
    rmSync(abs, { recursive: true, force: true });
    for (const d of this.knownDirs) if (d === rel || d.startsWith(`${rel}/`)) this.knownDirs.delete(d);
  }

  private metaOf(entry: ReadEntry): FileMeta {
    const meta: FileMeta = { mode: (entry.mode ?? 0o644) & 0o7777 };
    if (this.root) meta.owner = { uid: entry.uid ?? 0, gid: entry.gid ?? 0 };
    if (entry.mtime) meta.times = { atime: entry.atime ?? entry.mtime, mtime: entry.mtime };
    return meta;
  }

  private setMetadata(entry: ReadEntry, abs: string, isDir: boolean): void {
    const symlinkEntry = entry.type === 'SymbolicLink';
    const mode = (entry.mode ?? (isDir ? 0o755 : 0o644)) & 0o7777;
    if (this.root) lchownSync(abs, entry.uid ?? 0, entry.gid ?? 0);
    // chmod after chown: chown clears setuid/setgid bits.
    if (!symlinkEntry) chmodSync(abs, mode);
    // Files made in a setgid directory take its group: from now on, every file gets its chown.
    if (isDir && mode & 0o2000) this.creation.owner = undefined;
    if (entry.mtime) {
      const atime = entry.atime ?? entry.mtime;
      if (isDir) this.dirTimes.push({ abs, atime, mtime: entry.mtime });
      else lutimesSync(abs, atime, entry.mtime);
    }
  }
}

function isFile(entry: ReadEntry): boolean {
  return entry.type === 'File' || entry.type === 'OldFile' || entry.type === 'ContiguousFile';
}

function isSmallFile(entry: ReadEntry): boolean {
  return isFile(entry) && (entry.size ?? 0) <= SMALL_FILE;
}

function throughSymlink(path: string, link: string) {
  const what = `tar entry ${JSON.stringify(path)} would be written through the symbolic link ${JSON.stringify(link)}`;
  return invalidArgument(what, { details: { path } });
}

function badLink(path: string, target: string, why: string) {
  return invalidArgument(`tar hard link ${JSON.stringify(path)}: its target ${JSON.stringify(target)} ${why}`, {
    details: { path, target },
  });
}

/** Streams a big file's body to `abs` (which must not exist). */
async function writeEntry(entry: ReadEntry, abs: string): Promise<void> {
  const fd = openSync(abs, 'wx', 0o600);
  try {
    for await (const chunk of entry) {
      const buf = chunk as Buffer;
      for (let off = 0; off < buf.length; ) {
        const n = writeSync(fd, buf, off);
        if (n <= 0) throw internal(`short write to ${abs}`);
        off += n;
      }
    }
  } finally {
    closeSync(fd);
  }
}

async function makeNode(abs: string, entry: ReadEntry): Promise<void> {
  const args = ['-m', '0600', abs];
  if (entry.type === 'FIFO') args.push('p');
  else {
    const kind = entry.type === 'BlockDevice' ? 'b' : 'c';
    args.push(kind, String(entry.header.devmaj ?? 0), String(entry.header.devmin ?? 0));
  }
  await run('mknod', args).catch((err: unknown) => {
    throw fromSystemError(err, `cannot create device node ${entry.path}`);
  });
}
