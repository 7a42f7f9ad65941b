import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { cancelled, fromSystemError, invalidArgument, isTscrError } from '@tscr/api';

const BLOCK = 512;

/** What {@link spoolTar} wrote. */
export interface SpooledTar {
  /** `sha256:` of the uncompressed tar: the layer's diff ID. */
  digest: string;
  /** Uncompressed size in bytes. */
  size: number;
}

function toBuffer(chunk: Uint8Array): Buffer {
  return Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}

/**
 * True when `block` (the first 512 bytes of a stream) is a tar header with a
 * valid checksum, or the all-zero block that ends an empty archive.
 */
export function looksLikeTar(block: Buffer): boolean {
  if (block.length < BLOCK) return false;
  if (block.subarray(0, BLOCK).every((b) => b === 0)) return true;
  const field = block
    .subarray(148, 156)
    .toString('latin1')
    .replace(/[\0 ]+$/, '')
    .trim();
  if (!/^[0-7]+$/.test(field)) return false;
  const want = parseInt(field, 8);
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const b = i >= 148 && i < 156 ? 0x20 : (block[i] as number);
    unsigned += b;
    signed += b > 127 ? b - 256 : b;
  }
  return want === unsigned || want === signed;
}

/**
 * Writes a tar stream (plain or gzip, told apart by the gzip magic) to
 * `file` uncompressed, hashing the uncompressed bytes on the way.
 * @throws InvalidArgument when the data is not a tar (or a broken gzip);
 * Cancelled when `signal` aborts. The caller removes `file` on failure.
 */
export async function spoolTar(
  source: AsyncIterable<Uint8Array>,
  file: string,
  signal?: AbortSignal,
): Promise<SpooledTar> {
  const it = source[Symbol.asyncIterator]();
  const head: Buffer[] = [];
  let headLength = 0;
  let ended = false;
  try {
    while (headLength < 2) {
      const r = await it.next();
      if (r.done) {
        ended = true;
        break;
      }
      const b = toBuffer(r.value);
      head.push(b);
      headLength += b.length;
    }
  } catch (err) {
    throw fromSystemError(err, 'cannot read the image tar stream');
  }
  const first = Buffer.concat(head);
  const gzip = first.length >= 2 && first[0] === 0x1f && first[1] === 0x8b;

  async function* all(): AsyncGenerator<Buffer, void, undefined> {
    try {
      if (first.length > 0) yield first;
      while (!ended) {
        const r = await it.next();
        if (r.done) break;
        yield toBuffer(r.value);
      }
    } finally {
      ended = true;
      await it.return?.();
    }
  }

  const hash = createHash('sha256');
  let size = 0;
  let sniff = Buffer.alloc(0);
  const hasher = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      hash.update(chunk);
      size += chunk.length;
      if (sniff.length < BLOCK) sniff = Buffer.concat([sniff, chunk.subarray(0, BLOCK - sniff.length)]);
      cb(null, chunk);
    },
  });
  const out = createWriteStream(file, { flags: 'wx', mode: 0o600 });
  try {
    if (gzip) await pipeline(Readable.from(all()), createGunzip(), hasher, out, { signal });
    else await pipeline(Readable.from(all()), hasher, out, { signal });
  } catch (err) {
    if (signal?.aborted) throw cancelled('import cancelled', { cause: err });
    if (isTscrError(err)) throw err;
    const code = (err as NodeJS.ErrnoException).code ?? '';
    if (code.startsWith('Z_')) throw invalidArgument('invalid gzip stream: not a tar archive', { cause: err });
    throw fromSystemError(err, 'cannot read the image tar stream');
  }
  if (!looksLikeTar(sniff)) throw invalidArgument('the stream is not a tar archive (plain or gzip)');
  return { digest: `sha256:${hash.digest('hex')}`, size };
}
