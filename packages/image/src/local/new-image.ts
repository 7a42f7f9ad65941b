import { mkdir, mkdtemp, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fromSystemError, invalidArgument, notFound, type Descriptor } from '@tscr/api';
import type { DiffOptions, LayerInfo, NewImage } from '../types.js';
import { digestHex, type BlobStore } from './blob-store.js';
import { GZIP_LAYER, writeLayerDiff } from './diff.js';
import { exists, throwIfAborted } from './fs-util.js';
import type { ImageIndex } from './image-index.js';
import type { LayerRecords } from './layer-records.js';
import type { Mutex } from './mutex.js';
import {
  MediaTypes,
  ociArchitecture,
  toOciRunConfig,
  type ImageRecord,
  type OciImageConfig,
  type OciManifest,
} from './oci.js';

/** The parts of the image root that layer diffs and new images write to. */
export interface LayerContext {
  blobs: BlobStore;
  index: ImageIndex;
  records: LayerRecords;
  /** `<root>/layers`. */
  layersDir: string;
  /** Scratch space on the store's filesystem. */
  tempDir: string;
  /** The store's lock; held while finished files move into place. */
  lock: Mutex;
}

/**
 * Stores the changes of a snapshot (upper dir over `lowers`, top first) as
 * a gzip layer: the slow part runs outside the lock, then the unpacked
 * layer, the blob → diff ID record and the blob move into place.
 */
export async function storeSnapshotDiff(
  ctx: LayerContext,
  upper: string,
  lowers: string[],
  opts: DiffOptions,
): Promise<LayerInfo> {
  await mkdir(ctx.tempDir, { recursive: true });
  const work = await mkdtemp(join(ctx.tempDir, 'diff-'));
  try {
    const r = await writeLayerDiff({
      upper,
      lowers,
      work,
      mountPoints: opts.mountPoints,
      epoch: opts.epoch,
      signal: opts.signal,
    });
    throwIfAborted(opts.signal);
    await ctx.lock.run(async () => {
      const layerDir = join(ctx.layersDir, digestHex(r.diffId));
      await mkdir(ctx.layersDir, { recursive: true });
      if (!(await exists(join(layerDir, 'fs')))) {
        await rm(layerDir, { recursive: true, force: true });
        await rename(r.layerDir, layerDir);
      }
      await ctx.records.put(r.digest, { diffID: r.diffId, mediaType: GZIP_LAYER });
      await ctx.blobs.commit(r.blobFile, r.digest);
    });
    return { diffId: r.diffId, digest: r.digest, size: r.size, mediaType: GZIP_LAYER, empty: r.empty };
  } catch (err) {
    throw fromSystemError(err, 'cannot store the layer of the changes');
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** Checks a new image's layers and history agree. @throws InvalidArgument. */
function checkHistory(req: NewImage): void {
  const layers = req.layers?.length ?? 0;
  const history = req.history ?? [];
  const withLayer = history.filter((h) => !h.emptyLayer).length;
  if (history.length > 0 && withLayer !== layers) {
    throw invalidArgument(
      `history has ${withLayer} entries with a layer but ${layers} layers are added: mark metadata-only steps emptyLayer`,
    );
  }
}

/**
 * Writes the config and manifest of a new image (the parent's layers and
 * history plus `req`'s) and indexes it, tagged `reference` (normalized) or
 * untagged. Runs under the store's lock (the caller holds it).
 * Resolves with the new manifest's digest.
 * @throws NotFound for a layer that is not stored; InvalidArgument.
 */
export async function writeNewImage(
  ctx: LayerContext,
  parent: ImageRecord | undefined,
  req: NewImage,
  reference: string | undefined,
): Promise<string> {
  checkHistory(req);
  const added: Descriptor[] = [];
  for (const l of req.layers ?? []) {
    digestHex(l.digest);
    if (!(await ctx.blobs.has(l.digest)) || !(await exists(join(ctx.layersDir, digestHex(l.diffId), 'fs')))) {
      throw notFound(`layer ${l.digest} is not stored`, { details: { digest: l.digest } });
    }
    added.push({ mediaType: l.mediaType, digest: l.digest, size: l.size });
  }
  const created = req.created ?? new Date().toISOString();
  const history = (req.history ?? []).map((h) => {
    const e: NonNullable<OciImageConfig['history']>[number] = { created: h.created ?? created };
    if (h.author) e.author = h.author;
    if (h.createdBy !== undefined) e.created_by = h.createdBy;
    if (h.comment) e.comment = h.comment;
    if (h.emptyLayer) e.empty_layer = true;
    return e;
  });
  const config: OciImageConfig = {
    created,
    ...(req.author ? { author: req.author } : {}),
    architecture: parent?.config.architecture ?? ociArchitecture(),
    os: parent?.config.os ?? 'linux',
    config: toOciRunConfig(req.config),
    rootfs: {
      type: 'layers',
      diff_ids: [...(parent?.config.rootfs.diff_ids ?? []), ...(req.layers ?? []).map((l) => l.diffId)],
    },
    history: [...(parent?.config.history ?? []), ...history],
  };
  const undo: (() => Promise<unknown>)[] = [];
  try {
    const stored = await ctx.blobs.put(Buffer.from(JSON.stringify(config)));
    if (stored.added) undo.push(() => ctx.blobs.delete(stored.digest));
    const manifest: OciManifest = {
      schemaVersion: 2,
      mediaType: MediaTypes.manifest,
      config: { mediaType: MediaTypes.config, digest: stored.digest, size: stored.size },
      layers: [
        ...(parent?.manifest.layers ?? []).map((l) => ({ mediaType: l.mediaType, digest: l.digest, size: l.size })),
        ...added,
      ],
    };
    const m = await ctx.blobs.put(Buffer.from(JSON.stringify(manifest)));
    if (m.added) undo.push(() => ctx.blobs.delete(m.digest));
    const desc: Descriptor = { mediaType: MediaTypes.manifest, digest: m.digest, size: m.size };
    if (reference !== undefined) await ctx.index.tag(reference, desc);
    else await ctx.index.addUntagged(desc);
    return m.digest;
  } catch (err) {
    for (const step of undo.reverse()) await step().catch(() => undefined);
    throw err;
  }
}
