import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, type Stats } from 'node:fs';
import { lstat, mkdir, readdir, readlink } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import { createGzip } from 'node:zlib';
import { fromSystemError, unimplemented } from '@tscr/api';
import { findCommand } from './commands.js';
import { throwIfAborted } from './fs-util.js';
import { endOfArchive, padding, tarHeader, type TarHeader } from './tar-writer.js';
import { unpackLayer } from './unpack.js';

const run = promisify(execFile);

/** Media type of the layers {@link writeLayerDiff} makes. */
export const GZIP_LAYER = 'application/vnd.oci.image.layer.v1.tar+gzip';

const WHITEOUT_PREFIX = '.wh.';
const OPAQUE_MARKER = '.wh..wh..opq';
const OPAQUE_XATTR = 'trusted.overlay.opaque';

/** What {@link writeLayerDiff} reads and where it writes. */
export interface DiffSource {
  /** The snapshot's overlay upper directory. */
  upper: string;
  /** Unpacked lower layers, top first (as overlay's lowerdir lists them). */
  lowers: string[];
  /** Scratch directory (on the store's filesystem) the results go to. */
  work: string;
  /** Container paths left out when empty and absent below (runtime mount points). */
  mountPoints?: string[];
  /** mtime of every entry, in seconds. */
  epoch?: number;
  signal?: AbortSignal;
}

/** The files {@link writeLayerDiff} made in `work`. */
export interface DiffResult {
  /** gzip blob file. */
  blobFile: string;
  digest: string;
  size: number;
  diffId: string;
  /** The layer unpacked (`<dir>/fs`), ready to rename into the layer store. */
  layerDir: string;
  empty: boolean;
}

/** One entry of the diff, in archive order. */
interface Entry {
  header: TarHeader;
  /** Absolute source path of a regular file's content. */
  source?: string;
}

/** Directories of `upper` whose `trusted.overlay.opaque` is `y` (relative paths), found with one getfattr call. */
async function opaqueDirs(upper: string): Promise<Set<string>> {
  const getfattr = findCommand('getfattr');
  if (!getfattr) throw unimplemented('layer diffs of overlay snapshots without getfattr (Debian package attr)');
  let stdout = '';
  try {
    ({ stdout } = await run(
      getfattr,
      ['-R', '-P', '--absolute-names', '-e', 'text', '-m', `^${OPAQUE_XATTR.replace(/\./g, '\\.')}$`, '-d', upper],
      { maxBuffer: 64 << 20 },
    ));
  } catch (err) {
    // getfattr exits 1 when some file could not be read but still prints the rest.
    stdout = (err as { stdout?: string }).stdout ?? '';
    if (!stdout && (err as { code?: unknown }).code !== 1) throw fromSystemError(err, 'cannot read overlay xattrs');
  }
  const out = new Set<string>();
  let current: string | undefined;
  for (const line of stdout.split('\n')) {
    if (line.startsWith('# file: ')) current = line.slice('# file: '.length);
    else if (current !== undefined && line.startsWith(`${OPAQUE_XATTR}=`)) {
      if (/^"?y"?$/.test(line.slice(OPAQUE_XATTR.length + 1))) {
        const rel = posix.relative(upper, current);
        if (rel && !rel.startsWith('..')) out.add(rel);
      }
    }
  }
  return out;
}

function major(rdev: number): number {
  return Math.floor(rdev / 256) & 0xfff;
}
function minor(rdev: number): number {
  return (rdev & 0xff) | ((Math.floor(rdev / 4096) & 0xfff00) >>> 0);
}

async function existsBelow(lowers: string[], rel: string): Promise<boolean> {
  for (const dir of lowers) {
    try {
      await lstat(join(dir, rel));
      return true;
    } catch {
      // not in this layer
    }
  }
  return false;
}

/** True for a runtime mount point left in the upper dir: an empty file or directory no lower layer has. */
async function isMountPointStub(st: Stats, abs: string, rel: string, src: DiffSource): Promise<boolean> {
  if (st.isFile() && st.size === 0) return !(await existsBelow(src.lowers, rel));
  if (st.isDirectory() && (await readdir(abs)).length === 0) return !(await existsBelow(src.lowers, rel));
  return false;
}

/** Every entry of the upper dir in archive order: parents before children, names sorted bytewise. */
async function collectEntries(src: DiffSource): Promise<Entry[]> {
  const opaque = await opaqueDirs(src.upper);
  const stubs = new Set((src.mountPoints ?? []).map((p) => posix.normalize(p).replace(/^\/+/, '')));
  const links = new Map<string, string>();
  const mtime = src.epoch ?? 0;
  const out: Entry[] = [];
  const walk = async (relDir: string): Promise<void> => {
    throwIfAborted(src.signal);
    const names = (await readdir(join(src.upper, relDir))).sort((a, b) =>
      Buffer.compare(Buffer.from(a), Buffer.from(b)),
    );
    for (const name of names) {
      const rel = relDir ? `${relDir}/${name}` : name;
      const abs = join(src.upper, rel);
      const st = await lstat(abs);
      if (stubs.has(rel) && (await isMountPointStub(st, abs, rel, src))) continue;
      const base = { mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, size: 0, mtime };
      if (st.isCharacterDevice() && st.rdev === 0) {
        const path = relDir ? `${relDir}/${WHITEOUT_PREFIX}${name}` : `${WHITEOUT_PREFIX}${name}`;
        out.push({ header: { ...base, path, type: 'file', mode: 0, uid: 0, gid: 0 } });
        continue;
      }
      if (st.isDirectory()) {
        out.push({ header: { ...base, path: rel, type: 'dir' } });
        if (opaque.has(rel)) {
          out.push({ header: { ...base, path: `${rel}/${OPAQUE_MARKER}`, type: 'file', mode: 0, uid: 0, gid: 0 } });
        }
        await walk(rel);
        continue;
      }
      if (st.isSymbolicLink()) {
        out.push({ header: { ...base, path: rel, type: 'symlink', linkname: await readlink(abs) } });
        continue;
      }
      if (st.nlink > 1 && !st.isDirectory()) {
        const id = `${st.dev}:${st.ino}`;
        const first = links.get(id);
        if (first !== undefined) {
          out.push({ header: { ...base, path: rel, type: 'link', linkname: first } });
          continue;
        }
        links.set(id, rel);
      }
      if (st.isFile()) out.push({ header: { ...base, path: rel, type: 'file', size: st.size }, source: abs });
      else if (st.isCharacterDevice() || st.isBlockDevice()) {
        const type = st.isCharacterDevice() ? 'char' : 'block';
        out.push({ header: { ...base, path: rel, type, devmajor: major(st.rdev), devminor: minor(st.rdev) } });
      } else if (st.isFIFO()) out.push({ header: { ...base, path: rel, type: 'fifo' } });
      // sockets are not archived
    }
  };
  await walk('');
  return out;
}

/** Exactly `size` bytes of `file` (zero-filled if it shrank, cut if it grew since it was measured). */
async function* contentOf(file: string, size: number): AsyncGenerator<Buffer, void, undefined> {
  let left = size;
  if (left > 0) {
    for await (const chunk of createReadStream(file, { end: size - 1, highWaterMark: 1 << 20 })) {
      const b = chunk as Buffer;
      left -= b.length;
      yield b;
    }
  }
  if (left > 0) yield Buffer.alloc(left);
  yield padding(size);
}

async function* archive(entries: Entry[], signal?: AbortSignal): AsyncGenerator<Buffer, void, undefined> {
  for (const e of entries) {
    throwIfAborted(signal);
    yield tarHeader(e.header);
    if (e.source !== undefined) yield* contentOf(e.source, e.header.size);
  }
  yield endOfArchive();
}

function hashing(): { stream: Transform; digest: () => string; size: () => number } {
  const hash = createHash('sha256');
  let size = 0;
  const stream = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      hash.update(chunk);
      size += chunk.length;
      cb(null, chunk);
    },
  });
  return { stream, digest: () => `sha256:${hash.digest('hex')}`, size: () => size };
}

/**
 * Writes the changes of an overlay upper directory as a layer: the tar
 * (hashed: the diff ID) is gzipped into `<work>/blob` (hashed: the blob
 * digest) and unpacked into `<work>/layer/fs`. Whiteouts (0/0 character
 * devices) become `.wh.<name>` entries, opaque directories get a
 * `.wh..wh..opq` entry; entries come sorted, mtimes set to `epoch`, so the
 * same changes give the same digests.
 * @throws Unimplemented without getfattr; Cancelled on abort.
 */
export async function writeLayerDiff(src: DiffSource): Promise<DiffResult> {
  const entries = await collectEntries(src);
  const tarFile = join(src.work, 'layer.tar');
  const blobFile = join(src.work, 'blob');
  const tarHash = hashing();
  await pipeline(Readable.from(archive(entries, src.signal)), tarHash.stream, createWriteStream(tarFile), {
    signal: src.signal,
  });
  const blobHash = hashing();
  await pipeline(createReadStream(tarFile), createGzip(), blobHash.stream, createWriteStream(blobFile), {
    signal: src.signal,
  });
  const layerDir = join(src.work, 'layer');
  await mkdir(join(layerDir, 'fs'), { recursive: true, mode: 0o755 });
  await unpackLayer(tarFile, join(layerDir, 'fs'), { signal: src.signal });
  return {
    blobFile,
    digest: blobHash.digest(),
    size: blobHash.size(),
    diffId: tarHash.digest(),
    layerDir,
    empty: entries.length === 0,
  };
}
