import { createHash } from 'node:crypto';
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, mkdtemp, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable, Transform, type Duplex } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  TscrError,
  cancelled,
  failpoint,
  fromSystemError,
  invalidArgument,
  isTscrError,
  type Descriptor,
} from '@tscr/api';
import { digestHex, type BlobStore } from './blob-store.js';
import { decompressor, isLayerMediaType, sniffCompression } from './decompress.js';
import { exists, scratchParent } from './fs-util.js';
import type { LayerRecords } from './layer-records.js';
import type { Mutex } from './mutex.js';
import type { LayerLimits } from './layer-limits.js';
import { unpackLayerStream } from './unpack.js';

/** The parts of an image root a pulled blob is written to. */
export interface IngestContext {
  blobs: BlobStore;
  records: LayerRecords;
  /** `<root>/layers`: one `<diffID hex>/fs` directory per unpacked layer. */
  layersDir: string;
  /** Scratch space on the same filesystem as the store. */
  tempDir: string;
  /** Held while finished files move into place. */
  lock: Mutex;
  /** Bounds on what one layer unpacks to (ResourceExhausted past them). */
  limits?: LayerLimits;
}

/** Bytes the blob file and the unpacker buffer at most before the source waits. */
const HIGH_WATER = 1 << 20;

/**
 * Stores one pulled blob. A layer (by media type) is unpacked in the same
 * pass: the stream is teed into the blob file and into decompression
 * (gzip, zstd or none, told by its magic bytes) → sha256 (the diff ID) →
 * the tar unpacker, all with backpressure. Everything goes to a scratch
 * directory first and is renamed into place under `ctx.lock` once `data`
 * ended cleanly: layer dir, then the blob → diff ID record, then the blob.
 * `data` is trusted to be verified by the caller (see `ImageSink.writeBlob`);
 * only its length is checked here.
 * @throws what `data` throws (DataLoss, Cancelled); DataLoss for a length
 *   other than `desc.size`; InvalidArgument for a layer that is not a
 *   (compressed) tar; ResourceExhausted past `ctx.limits`; Unimplemented for
 *   zstd without the `zstd` command.
 */
export async function ingestBlob(
  ctx: IngestContext,
  desc: Descriptor,
  data: AsyncIterable<Uint8Array>,
  signal?: AbortSignal,
): Promise<void> {
  digestHex(desc.digest);
  const work = await mkdtemp(join(await scratchParent(ctx.tempDir), 'pull-'));
  try {
    const blobFile = join(work, 'blob');
    if (!isLayerMediaType(desc.mediaType)) {
      const size = await writeBlobFile(data, blobFile, signal);
      checkSize(desc, size);
      await ctx.lock.run(() => ctx.blobs.commit(blobFile, desc.digest));
      return;
    }
    const staged = join(work, 'layer');
    await mkdir(join(staged, 'fs'), { recursive: true, mode: 0o755 });
    const { size, diffID, unpacked } = await teeAndUnpack(data, blobFile, join(staged, 'fs'), ctx.limits, signal);
    checkSize(desc, size);
    await ctx.lock.run(async () => {
      const layerDir = join(ctx.layersDir, digestHex(diffID));
      await mkdir(ctx.layersDir, { recursive: true });
      if (!(await exists(join(layerDir, 'fs')))) {
        await rm(layerDir, { recursive: true, force: true });
        await rename(staged, layerDir);
      }
      await ctx.records.put(desc.digest, { diffID, mediaType: desc.mediaType, size: unpacked });
      await ctx.blobs.commit(blobFile, desc.digest);
    });
    failpoint('image.pull.between-layers');
  } catch (err) {
    if (signal?.aborted && !isTscrError(err)) throw cancelled('blob write cancelled', { cause: err });
    throw fromSystemError(err, `cannot store blob ${desc.digest}`);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

function checkSize(desc: Descriptor, size: number): void {
  if (size !== desc.size) {
    throw new TscrError('DataLoss', `blob ${desc.digest} has ${size} bytes, not the ${desc.size} declared`, {
      details: { digest: desc.digest, size: String(desc.size), received: String(size) },
    });
  }
}

async function writeBlobFile(data: AsyncIterable<Uint8Array>, file: string, signal?: AbortSignal): Promise<number> {
  let size = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      size += chunk.length;
      cb(null, chunk);
    },
  });
  await pipeline(Readable.from(data), counter, createWriteStream(file, { flags: 'wx', mode: 0o644 }), { signal });
  return size;
}

/** Reads the first bytes of `data` (enough to sniff a magic number) and the rest after them. */
async function peek(data: AsyncIterable<Uint8Array>): Promise<{ head: Buffer; all: AsyncIterable<Uint8Array> }> {
  const it = data[Symbol.asyncIterator]();
  const parts: Uint8Array[] = [];
  let length = 0;
  let ended = false;
  while (length < 4) {
    const r = await it.next();
    if (r.done) {
      ended = true;
      break;
    }
    parts.push(r.value);
    length += r.value.byteLength;
  }
  async function* all(): AsyncGenerator<Uint8Array, void, undefined> {
    try {
      yield* parts;
      while (!ended) {
        const r = await it.next();
        if (r.done) return;
        yield r.value;
      }
    } finally {
      if (!ended) await it.return?.();
    }
  }
  return { head: Buffer.concat(parts), all: all() };
}

/**
 * Compressed bytes go on in pieces of at least this size: each write to
 * zlib (or the blob file) is a trip through the thread pool, and network
 * reads come in 64 KiB pieces.
 */
const BATCH = 1 << 20;

/** `source` re-cut into buffers of at least `min` bytes (the last may be shorter). */
async function* coalesce(source: AsyncIterable<Uint8Array>, min: number): AsyncGenerator<Buffer, void, undefined> {
  let parts: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of source) {
    parts.push(chunk);
    size += chunk.byteLength;
    if (size >= min) {
      yield Buffer.concat(parts, size);
      parts = [];
      size = 0;
    }
  }
  if (size > 0) yield Buffer.concat(parts, size);
}

/** Passes chunks through while writing them to `file`, waiting for the file when it is behind. */
function teeTo(file: WriteStream): { tee: Transform; bytes: () => number } {
  let size = 0;
  const tee = new Transform({
    highWaterMark: HIGH_WATER,
    transform(chunk: Buffer, _enc, cb) {
      size += chunk.length;
      if (file.write(chunk)) cb(null, chunk);
      else file.once('drain', () => cb(null, chunk));
    },
    flush(cb) {
      file.end(() => cb());
    },
  });
  file.once('error', (err) => tee.destroy(err));
  tee.once('close', () => {
    if (!file.writableFinished) file.destroy();
  });
  return { tee, bytes: () => size };
}

async function teeAndUnpack(
  data: AsyncIterable<Uint8Array>,
  blobFile: string,
  dest: string,
  limits: LayerLimits | undefined,
  signal?: AbortSignal,
): Promise<{ size: number; diffID: string; unpacked: number }> {
  const { head, all } = await peek(data);
  let decompress: Duplex;
  try {
    decompress = decompressor(sniffCompression(head));
  } catch (err) {
    await all[Symbol.asyncIterator]().return?.();
    throw err;
  }
  const file = createWriteStream(blobFile, { flags: 'wx', mode: 0o644, highWaterMark: HIGH_WATER });
  const { tee, bytes } = teeTo(file);
  const hash = createHash('sha256');
  let chunks = 0;
  const hasher = new Transform({
    highWaterMark: HIGH_WATER,
    transform(chunk: Buffer, _enc, cb) {
      if (++chunks === 2) failpoint('image.pull.mid-layer'); // the first piece is in the unpacker by now
      hash.update(chunk);
      cb(null, chunk);
    },
  });
  const piped = pipeline(Readable.from(coalesce(all, BATCH), { highWaterMark: 2 }), tee, decompress, hasher, {
    signal,
  });
  const unpacked = unpackLayerStream(hasher, dest, { signal, ...(limits ? { limits } : {}) }, 'the layer blob');
  const [p, u] = await Promise.allSettled([piped, unpacked]);
  if (p.status === 'rejected' || u.status === 'rejected') {
    // The blob file may still be opening: let it close before the caller removes the directory it is in.
    if (!file.closed) {
      const closed = new Promise<void>((resolve) => file.once('close', () => resolve()));
      file.destroy();
      await closed;
    }
    throw pickError(p.status === 'rejected' ? p.reason : undefined, u.status === 'rejected' ? u.reason : undefined);
  }
  await new Promise<void>((resolve, reject) => {
    if (file.closed) resolve();
    else file.once('close', resolve).once('error', reject);
  });
  return { size: bytes(), diffID: `sha256:${hash.digest('hex')}`, unpacked: u.value.size };
}

/** The error that explains a failed tee: the source's own (DataLoss, Cancelled) first, then the unpacker's. */
function pickError(piped: unknown, unpacked: unknown): unknown {
  if (isTscrError(piped)) return piped;
  const code = (piped as NodeJS.ErrnoException | undefined)?.code ?? '';
  if (code.startsWith('Z_')) return invalidArgument('layer blob is not valid gzip', { cause: piped });
  if (unpacked !== undefined) return unpacked;
  return piped;
}
