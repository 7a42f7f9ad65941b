import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { type TscrError, cancelled, fromSystemError, invalidArgument, notFound, isErrno } from '@tscr/api';
import { exists } from './fs-util.js';

const SHA256_DIGEST = /^sha256:([a-f0-9]{64})$/;

/** The `oci-layout` file every OCI image layout carries. */
const OCI_LAYOUT = JSON.stringify({ imageLayoutVersion: '1.0.0' });

/** What {@link BlobStore.put} stored. */
export interface BlobInfo {
  /** `sha256:<hex>` of the content. */
  digest: string;
  /** Length in bytes. */
  size: number;
  /** False when the blob was already there (the new copy was dropped). */
  added: boolean;
}

/** Options of {@link BlobStore.put}. */
export interface PutOptions {
  /** The digest the content must have; a mismatch raises InvalidArgument and stores nothing. */
  expected?: string;
  signal?: AbortSignal;
}

/** Options of {@link BlobStore}. */
export interface BlobStoreOptions {
  /** Where partial writes go; must be on the same filesystem. Default `<dir>/ingest`. */
  tempDir?: string;
}

/** Checks a digest is `sha256:<64 hex>` and returns its hex part. @throws InvalidArgument. */
export function digestHex(digest: string): string {
  const m = SHA256_DIGEST.exec(digest);
  if (!m) {
    throw invalidArgument(`invalid digest ${JSON.stringify(digest)}: want sha256:<64 hex digits>`, {
      details: { digest },
    });
  }
  return m[1] as string;
}

/** `sha256:<hex>` of `data`. */
export function sha256Digest(data: Uint8Array | string): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

/**
 * A content-addressed store in OCI image-layout form: `<dir>/oci-layout`
 * and `<dir>/blobs/sha256/<hex>`. Blobs are written to a temporary file,
 * hashed while they stream and renamed into place, so a blob path either
 * holds complete, verified content or does not exist.
 */
export class BlobStore {
  /** The layout directory. */
  readonly dir: string;
  private readonly tempDir: string;
  private ready: Promise<void> | undefined;

  constructor(dir: string, options: BlobStoreOptions = {}) {
    this.dir = dir;
    this.tempDir = options.tempDir ?? join(dir, 'ingest');
  }

  /** Creates the layout (idempotent). Every other method calls it first. */
  init(): Promise<void> {
    this.ready ??= (async () => {
      try {
        await mkdir(join(this.dir, 'blobs', 'sha256'), { recursive: true });
        await mkdir(this.tempDir, { recursive: true });
        const layout = join(this.dir, 'oci-layout');
        if (!(await exists(layout))) await writeFile(layout, OCI_LAYOUT);
      } catch (err) {
        this.ready = undefined;
        throw fromSystemError(err, `cannot create content store in ${this.dir}`);
      }
    })();
    return this.ready;
  }

  /** Where the blob lives (it may not exist). @throws InvalidArgument for a malformed digest. */
  path(digest: string): string {
    return join(this.dir, 'blobs', 'sha256', digestHex(digest));
  }

  /** True when the blob is stored. */
  async has(digest: string): Promise<boolean> {
    await this.init();
    return exists(this.path(digest));
  }

  /** Size in bytes of a stored blob. @throws NotFound. */
  async size(digest: string): Promise<number> {
    await this.init();
    try {
      return (await stat(this.path(digest))).size;
    } catch (err) {
      throw this.readError(err, digest);
    }
  }

  /** The whole blob in memory (for manifests and configs). @throws NotFound. */
  async get(digest: string): Promise<Buffer> {
    await this.init();
    try {
      return await readFile(this.path(digest));
    } catch (err) {
      throw this.readError(err, digest);
    }
  }

  /** The blob as a stream of chunks. @throws NotFound. */
  async *read(digest: string): AsyncGenerator<Buffer, void, undefined> {
    await this.init();
    try {
      for await (const chunk of createReadStream(this.path(digest))) yield chunk as Buffer;
    } catch (err) {
      throw this.readError(err, digest);
    }
  }

  /**
   * Stores `data`, hashing it while it streams. With `expected`, content
   * whose digest differs is discarded and InvalidArgument is raised.
   */
  async put(data: Uint8Array | AsyncIterable<Uint8Array>, options: PutOptions = {}): Promise<BlobInfo> {
    await this.init();
    if (options.expected !== undefined) digestHex(options.expected);
    const tmp = join(this.tempDir, `blob-${randomBytes(8).toString('hex')}`);
    try {
      const hash = createHash('sha256');
      let size = 0;
      const hasher = new Transform({
        transform(chunk: Buffer, _enc, cb) {
          hash.update(chunk);
          size += chunk.length;
          cb(null, chunk);
        },
      });
      const source = data instanceof Uint8Array ? Readable.from([Buffer.from(data)]) : Readable.from(data);
      await pipeline(source, hasher, createWriteStream(tmp, { flags: 'wx', mode: 0o644 }), {
        signal: options.signal,
      });
      const digest = `sha256:${hash.digest('hex')}`;
      if (options.expected !== undefined && options.expected !== digest) {
        throw invalidArgument(`content digest mismatch: expected ${options.expected}, got ${digest}`, {
          details: { expected: options.expected, actual: digest },
        });
      }
      const added = await this.commit(tmp, digest);
      return { digest, size, added };
    } catch (err) {
      if (options.signal?.aborted) throw cancelled('blob write cancelled', { cause: err });
      throw fromSystemError(err, 'cannot store blob');
    } finally {
      await rm(tmp, { force: true });
    }
  }

  /**
   * Moves a complete file the caller has already hashed into the store
   * (a rename: `file` must be on the store's filesystem). When the blob is
   * already stored, `file` is deleted instead. Resolves true if it was added.
   */
  async commit(file: string, digest: string): Promise<boolean> {
    await this.init();
    const target = this.path(digest);
    try {
      if (await exists(target)) {
        await rm(file, { force: true });
        return false;
      }
      await rename(file, target);
      return true;
    } catch (err) {
      throw fromSystemError(err, `cannot store blob ${digest}`);
    }
  }

  /** Deletes a blob; resolves false when it was not there. */
  async delete(digest: string): Promise<boolean> {
    await this.init();
    const target = this.path(digest);
    if (!(await exists(target))) return false;
    try {
      await rm(target, { force: true });
      return true;
    } catch (err) {
      throw fromSystemError(err, `cannot delete blob ${digest}`);
    }
  }

  /** Digests of every stored blob. */
  async list(): Promise<string[]> {
    await this.init();
    const names = await readdir(join(this.dir, 'blobs', 'sha256'));
    return names.filter((n) => /^[a-f0-9]{64}$/.test(n)).map((n) => `sha256:${n}`);
  }

  private readError(err: unknown, digest: string): TscrError {
    if (isErrno(err, 'ENOENT')) {
      return notFound(`blob not found: ${digest}`, { cause: err, details: { digest } });
    }
    return fromSystemError(err, `cannot read blob ${digest}`);
  }
}
