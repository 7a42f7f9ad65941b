import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, open, rename, rm, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable, Transform, type Duplex, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  TscrError,
  cancelled,
  failpoint,
  fromSystemError,
  internal,
  invalidArgument,
  isTscrError,
  type Descriptor,
} from '@tscr/api';
import { digestHex, type BlobStore } from './blob-store.js';
import { decompressor, isLayerMediaType, sniffCompression } from './decompress.js';
import { exists, scratchParent, throwIfAborted } from './fs-util.js';
import type { LayerRecords } from './layer-records.js';
import type { Mutex } from './mutex.js';
import type { LayerLimits } from './layer-limits.js';
import { unpackLayerStream } from './unpack.js';
import { unpackLayerInWorker } from './unpack-thread.js';

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
  /**
   * Layers of at least this many (compressed) bytes unpack in a worker
   * thread (see `unpackLayerInWorker`). Default {@link UNPACK_WORKER_MIN_BYTES}.
   */
  unpackWorkerMinBytes?: number;
}

/**
 * Layers this big or bigger unpack in a worker thread: tar parsing and file
 * creation then run beside this thread's download, digest and inflate
 * instead of after them. Smaller layers unpack here (a worker takes ~40 ms to start).
 */
export const UNPACK_WORKER_MIN_BYTES = 8 << 20;

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
  const layer = isLayerMediaType(desc.mediaType);
  // Only a layer makes files enough for its placement to matter: it alone takes a turn of the spread parents.
  const parent = layer ? await scratchParent(ctx.tempDir) : ctx.tempDir;
  if (!layer) await mkdir(parent, { recursive: true, mode: 0o700 });
  const work = await mkdtemp(join(parent, 'pull-'));
  try {
    const blobFile = join(work, 'blob');
    if (!layer) {
      const size = await writeBlobFile(data, blobFile, signal);
      checkSize(desc, size);
      await ctx.lock.run(() => ctx.blobs.commit(blobFile, desc.digest));
      return;
    }
    const staged = join(work, 'layer');
    await mkdir(join(staged, 'fs'), { recursive: true, mode: 0o755 });
    const inWorker = desc.size >= (ctx.unpackWorkerMinBytes ?? UNPACK_WORKER_MIN_BYTES);
    const unpack = inWorker ? unpackLayerInWorker : unpackLayerStream;
    const { size, diffID, unpacked } = await teeAndUnpack(
      data,
      blobFile,
      join(staged, 'fs'),
      unpack,
      ctx.limits,
      signal,
    );
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
 * Compressed bytes go on in pieces of this size: each write to zlib (or the
 * blob file) is a trip through the thread pool, and network reads come in
 * 64 KiB pieces.
 */
const BATCH = 1 << 20;

/** Batch buffers of one layer: one being filled while the others are written. */
const BATCH_BUFFERS = 3;

/**
 * Writes `source` to both `file` and `decompress`, re-cut into {@link BATCH}
 * pieces copied into a few buffers that are reused once both writes of a
 * piece are done: a layer allocates no new memory per piece, so V8 does not
 * run a full garbage collection for every few MiB of a pull (Buffers count
 * towards its old-generation limit, and a daemon's small heap leaves little
 * room). Ends `decompress` after the last piece.
 * @returns the bytes written.
 */
async function feed(
  source: AsyncIterable<Uint8Array>,
  file: FileHandle,
  decompress: Writable,
  signal?: AbortSignal,
): Promise<number> {
  const spare: Buffer[] = [];
  let made = 0;
  const inFlight = new Set<Promise<void>>();
  let failure: unknown;
  const take = async (): Promise<Buffer> => {
    while (failure === undefined && spare.length === 0 && made >= BATCH_BUFFERS) await Promise.race(inFlight);
    if (failure !== undefined) throw failure;
    const buf = spare.pop();
    if (buf) return buf;
    made++;
    return Buffer.allocUnsafeSlow(BATCH);
  };
  let size = 0;
  const send = (buf: Buffer, length: number) => {
    const piece = buf.subarray(0, length);
    // At its own offset: two pieces may be in the thread pool at once, in either order.
    const done = Promise.all([writeAt(file, piece, size - length), writeTo(decompress, piece)]).then(
      () => {
        spare.push(buf);
      },
      (err: unknown) => {
        failure ??= err;
      },
    );
    const tracked = done.finally(() => inFlight.delete(tracked));
    inFlight.add(tracked);
  };
  let buf = await take();
  let fill = 0;
  for await (const chunk of source) {
    throwIfAborted(signal);
    for (let off = 0; off < chunk.byteLength; ) {
      const n = Math.min(chunk.byteLength - off, BATCH - fill);
      buf.set(chunk.subarray(off, off + n), fill);
      fill += n;
      off += n;
      size += n;
      if (fill === BATCH) {
        send(buf, fill);
        buf = await take();
        fill = 0;
      }
    }
  }
  if (fill > 0) send(buf, fill);
  await Promise.all(inFlight);
  if (failure !== undefined) throw failure;
  decompress.end();
  return size;
}

/** Writes all of `piece` at `position` of `file`. */
async function writeAt(file: FileHandle, piece: Buffer, position: number): Promise<void> {
  for (let off = 0; off < piece.length; ) {
    const { bytesWritten } = await file.write(piece, off, piece.length - off, position + off);
    if (bytesWritten <= 0) throw internal('short write to a blob file');
    off += bytesWritten;
  }
}

/**
 * Resolves once `stream` has consumed `piece` (zlib lets go of its input
 * then); rejects when it closes first (a stream destroyed in the middle of
 * a write, as zlib on corrupt input, never calls that write back).
 */
function writeTo(stream: Writable, piece: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const closed = () => reject(stream.errored ?? internal('the decompressor closed before taking its input'));
    stream.once('close', closed);
    stream.write(piece, (err) => {
      stream.off('close', closed);
      if (err) reject(err);
      else resolve();
    });
  });
}

async function teeAndUnpack(
  data: AsyncIterable<Uint8Array>,
  blobFile: string,
  dest: string,
  unpack: typeof unpackLayerInWorker,
  limits: LayerLimits | undefined,
  signal?: AbortSignal,
): Promise<{ size: number; diffID: string; unpacked: number }> {
  const { head, all } = await peek(data);
  let decompress: Duplex;
  const kind = sniffCompression(head);
  try {
    decompress = decompressor(kind);
  } catch (err) {
    await all[Symbol.asyncIterator]().return?.();
    throw err;
  }
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
  const piped = pipeline(decompress, hasher, { signal });
  // zlib's output buffers can be handed over to a worker whole (see unpackLayerInWorker).
  const unpacked = unpack(hasher, dest, { signal, ...(limits ? { limits } : {}) }, 'the layer blob', kind === 'gzip');
  let file: FileHandle | undefined;
  const fed = (async () => {
    file = await open(blobFile, 'wx', 0o644);
    return feed(all, file, decompress, signal);
  })().catch((err: unknown) => {
    // The source failed (or the file): stop the decompressor, so the unpacker stops too.
    decompress.destroy(err instanceof Error ? err : undefined);
    throw err;
  });
  const [f, p, u] = await Promise.allSettled([fed, piped, unpacked]);
  await file?.close();
  if (f.status === 'rejected' || p.status === 'rejected' || u.status === 'rejected') {
    const source = f.status === 'rejected' ? f.reason : p.status === 'rejected' ? p.reason : undefined;
    throw pickError(source, u.status === 'rejected' ? u.reason : undefined);
  }
  return { size: f.value, diffID: `sha256:${hash.digest('hex')}`, unpacked: u.value.size };
}

/** The error that explains a failed tee: the source's own (DataLoss, Cancelled) first, then the unpacker's. */
function pickError(piped: unknown, unpacked: unknown): unknown {
  if (isTscrError(piped)) return piped;
  const code = (piped as NodeJS.ErrnoException | undefined)?.code ?? '';
  if (code.startsWith('Z_')) return invalidArgument('layer blob is not valid gzip', { cause: piped });
  if (unpacked !== undefined) return unpacked;
  return piped;
}
