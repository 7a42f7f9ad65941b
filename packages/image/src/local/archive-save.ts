import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { TscrError, fromSystemError, isTscrError, throwIfCancelled } from '@tscr/api';
import { parseReference } from '@tscr/registry-client';
import type { ArchiveFormat } from '../types.js';
import { digestHex, type BlobStore } from './blob-store.js';
import { TAR_END, tarHeader, tarPadding } from './archive-tar.js';
import { decompressor, sniffCompression } from './decompress.js';
import { INDEX_MEDIA_TYPE, REF_NAME_ANNOTATION } from './image-index.js';
import type { ImageRecord } from './oci.js';

/** Annotation containerd (and Docker 25+) put the full image name in. */
export const CONTAINERD_NAME_ANNOTATION = 'io.containerd.image.name';

function dataLoss(message: string): TscrError {
  return new TscrError('DataLoss', message);
}

/** What a save reads. */
export interface SaveContext {
  blobs: BlobStore;
  /** Scratch space for layers that must be decompressed before their size is known. */
  tempDir: string;
}

/** One image to save and the references (normalized) to name it by in the archive. */
export interface SaveItem {
  rec: ImageRecord;
  refs: string[];
}

/** Bytes of a file or blob, in order, with the block header first and padding last. */
type Entry = { path: string; size: number; data: () => AsyncIterable<Uint8Array> } | { path: string; dir: true };

/**
 * The tar stream of `items` in `format`. Layers stream from the store;
 * a compressed layer in a docker-archive (which holds plain tars) is
 * decompressed to a scratch file first, to know its size. Memory stays
 * bounded by one chunk.
 * @throws DataLoss when a stored layer no longer matches its diff ID; Cancelled on abort.
 */
export async function* saveArchive(
  ctx: SaveContext,
  items: SaveItem[],
  format: ArchiveFormat,
  signal?: AbortSignal,
): AsyncGenerator<Uint8Array, void, undefined> {
  await mkdir(ctx.tempDir, { recursive: true });
  const work = await mkdtemp(join(ctx.tempDir, 'save-'));
  const mtime = new Date();
  try {
    const entries = format === 'oci-archive' ? ociEntries(ctx, items) : dockerEntries(ctx, items, work);
    for await (const e of entries) {
      throwIfCancelled(signal, 'image save');
      if ('dir' in e) {
        yield tarHeader(e.path, undefined, mtime);
        continue;
      }
      yield tarHeader(e.path, e.size, mtime);
      let written = 0;
      for await (const chunk of e.data()) {
        throwIfCancelled(signal, 'image save');
        written += chunk.byteLength;
        yield chunk;
      }
      if (written !== e.size) {
        throw dataLoss(`${e.path} changed while it was saved (${written} bytes, want ${e.size})`);
      }
      yield tarPadding(e.size);
    }
    yield TAR_END;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

function bytes(path: string, data: string | Buffer): Entry {
  const buf = typeof data === 'string' ? Buffer.from(data) : data;
  return {
    path,
    size: buf.length,
    data: async function* () {
      yield buf;
    },
  };
}

async function blobEntry(ctx: SaveContext, path: string, digest: string): Promise<Entry> {
  const size = await ctx.blobs.size(digest);
  return { path, size, data: () => ctx.blobs.read(digest) };
}

async function* ociEntries(ctx: SaveContext, items: SaveItem[]): AsyncGenerator<Entry, void, undefined> {
  yield bytes('oci-layout', JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  yield { path: 'blobs', dir: true };
  yield { path: 'blobs/sha256', dir: true };
  const seen = new Set<string>();
  const manifests: object[] = [];
  for (const { rec, refs } of items) {
    for (const digest of [...rec.manifest.layers.map((l) => l.digest), rec.id, rec.manifestDigest]) {
      if (seen.has(digest)) continue;
      seen.add(digest);
      yield await blobEntry(ctx, `blobs/sha256/${digestHex(digest)}`, digest);
    }
    const desc = {
      mediaType: rec.manifest.mediaType ?? 'application/vnd.oci.image.manifest.v1+json',
      digest: rec.manifestDigest,
      size: await ctx.blobs.size(rec.manifestDigest),
    };
    if (refs.length === 0) manifests.push(desc);
    for (const ref of refs) {
      manifests.push({ ...desc, annotations: { [CONTAINERD_NAME_ANNOTATION]: ref, [REF_NAME_ANNOTATION]: ref } });
    }
  }
  yield bytes('index.json', JSON.stringify({ schemaVersion: 2, mediaType: INDEX_MEDIA_TYPE, manifests }));
}

async function* dockerEntries(
  ctx: SaveContext,
  items: SaveItem[],
  work: string,
): AsyncGenerator<Entry, void, undefined> {
  const seen = new Set<string>();
  const manifest: { Config: string; RepoTags: string[] | null; Layers: string[] }[] = [];
  const repositories: Record<string, Record<string, string>> = {};
  for (const { rec, refs } of items) {
    const config = `${digestHex(rec.id)}.json`;
    if (!seen.has(config)) {
      seen.add(config);
      yield await blobEntry(ctx, config, rec.id);
    }
    const layers: string[] = [];
    for (const [i, layer] of rec.manifest.layers.entries()) {
      const diffId = rec.config.rootfs.diff_ids[i] ?? layer.digest;
      const name = `${digestHex(diffId)}.tar`;
      layers.push(name);
      if (seen.has(name)) continue;
      seen.add(name);
      if (layer.digest === diffId) yield await blobEntry(ctx, name, layer.digest);
      else yield await plainLayer(ctx, name, layer.digest, diffId, work);
    }
    const tags = refs.map((r) => parseReference(r)).filter((r) => r.tag !== undefined);
    // Full names, as podman writes them: podman reads a short name as localhost/…, Docker reads either.
    for (const t of tags) {
      const repo = t.normalized.slice(0, t.normalized.length - (t.tag as string).length - 1);
      repositories[repo] = { ...repositories[repo], [t.tag as string]: digestHex(diffIdTop(rec)) };
    }
    manifest.push({
      Config: config,
      RepoTags: tags.length > 0 ? tags.map((t) => t.normalized) : null,
      Layers: layers,
    });
  }
  yield bytes('manifest.json', JSON.stringify(manifest));
  if (Object.keys(repositories).length > 0) yield bytes('repositories', JSON.stringify(repositories));
}

function diffIdTop(rec: ImageRecord): string {
  return rec.config.rootfs.diff_ids[rec.config.rootfs.diff_ids.length - 1] ?? rec.id;
}

/** A compressed layer blob decompressed to a scratch file (checked against its diff ID), as an entry. */
async function plainLayer(
  ctx: SaveContext,
  name: string,
  digest: string,
  diffId: string,
  work: string,
): Promise<Entry> {
  const file = join(work, name);
  const head = await firstBytes(ctx.blobs.read(digest));
  const hash = createHash('sha256');
  let size = 0;
  const hasher = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      hash.update(chunk);
      size += chunk.length;
      cb(null, chunk);
    },
  });
  try {
    await pipeline(
      Readable.from(ctx.blobs.read(digest)),
      decompressor(sniffCompression(head)),
      hasher,
      createWriteStream(file),
    );
  } catch (err) {
    if (isTscrError(err)) throw err;
    throw fromSystemError(err, `cannot decompress layer ${digest}`);
  }
  const actual = `sha256:${hash.digest('hex')}`;
  if (actual !== diffId) throw dataLoss(`stored layer ${digest} unpacks to ${actual}, not ${diffId}`);
  return {
    path: name,
    size,
    data: async function* () {
      try {
        for await (const chunk of createReadStream(file)) yield chunk as Buffer;
      } finally {
        await rm(file, { force: true });
      }
    },
  };
}

async function firstBytes(source: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  for await (const chunk of source) return chunk;
  return new Uint8Array();
}
