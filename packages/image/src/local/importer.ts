import { mkdir, mkdtemp, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Descriptor } from '@tscr/api';
import type { ImportOptions } from '../types.js';
import { digestHex, type BlobStore } from './blob-store.js';
import { exists, throwIfAborted } from './fs-util.js';
import type { ImageIndex } from './image-index.js';
import type { Mutex } from './mutex.js';
import { MediaTypes, ociArchitecture, toOciRunConfig, type OciImageConfig, type OciManifest } from './oci.js';
import { spoolTar } from './spool.js';
import type { LayerLimits } from './layer-limits.js';
import { unpackLayer } from './unpack.js';

/** The parts of an image root an import writes to. */
export interface ImportContext {
  blobs: BlobStore;
  index: ImageIndex;
  /** `<root>/layers`: one `<diffID hex>/fs` directory per unpacked layer. */
  layersDir: string;
  /** Scratch space on the same filesystem as the store. */
  tempDir: string;
  /** Held while the import commits, so a concurrent remove cannot collect what it uses. */
  lock: Mutex;
  /** Bounds on what the layer unpacks to (ResourceExhausted past them). */
  limits?: LayerLimits;
}

/** What an import prepared before committing. */
interface Staged {
  layerTar: string;
  layerDir: string;
  stagedLayer: string;
  diffId: string;
  layerSize: number;
  config: Buffer;
}

/**
 * Makes a one-layer image from a rootfs tar (plain or gzip), like
 * `docker import`, and tags it with `reference` (already normalized) if
 * given. The slow part — reading, hashing and unpacking — runs outside the
 * lock; the commit moves finished files into place and updates the index
 * last. Any failure removes everything the import made.
 * Resolves with the digest of the new manifest.
 * @throws InvalidArgument for a stream that is not a tar; Cancelled on abort.
 */
export async function importRootfsTar(
  ctx: ImportContext,
  tar: AsyncIterable<Uint8Array>,
  reference: string | undefined,
  opts: ImportOptions = {},
): Promise<string> {
  throwIfAborted(opts.signal);
  await mkdir(ctx.tempDir, { recursive: true });
  const work = await mkdtemp(join(ctx.tempDir, 'import-'));
  try {
    const layerTar = join(work, 'layer.tar');
    const { digest: diffId, size: layerSize } = await spoolTar(tar, layerTar, opts.signal);
    const layerDir = join(ctx.layersDir, digestHex(diffId));
    const stagedLayer = join(work, 'layer');
    if (!(await exists(layerDir))) await unpackStaged(layerTar, stagedLayer, ctx.limits, opts.signal);
    throwIfAborted(opts.signal);
    const config = Buffer.from(JSON.stringify(imageConfig(diffId, opts)));
    const staged: Staged = { layerTar, layerDir, stagedLayer, diffId, layerSize, config };
    return await ctx.lock.run(() => commit(ctx, staged, reference));
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

async function unpackStaged(
  layerTar: string,
  stagedLayer: string,
  limits: LayerLimits | undefined,
  signal?: AbortSignal,
): Promise<void> {
  await mkdir(join(stagedLayer, 'fs'), { recursive: true, mode: 0o755 });
  await unpackLayer(layerTar, join(stagedLayer, 'fs'), { signal, ...(limits ? { limits } : {}) });
}

function imageConfig(diffId: string, opts: ImportOptions): OciImageConfig {
  const created = new Date().toISOString();
  const history: NonNullable<OciImageConfig['history']>[number] = { created, created_by: 'tscr image import' };
  if (opts.message) history.comment = opts.message;
  return {
    created,
    architecture: ociArchitecture(),
    os: 'linux',
    config: toOciRunConfig(opts.config),
    rootfs: { type: 'layers', diff_ids: [diffId] },
    history: [history],
  };
}

async function commit(ctx: ImportContext, s: Staged, reference: string | undefined): Promise<string> {
  const undo: (() => Promise<unknown>)[] = [];
  try {
    if (await ctx.blobs.commit(s.layerTar, s.diffId)) undo.push(() => ctx.blobs.delete(s.diffId));
    if (!(await exists(s.layerDir))) {
      // Collected since we looked (or never unpacked): unpack from the stored blob.
      if (!(await exists(s.stagedLayer))) await unpackStaged(ctx.blobs.path(s.diffId), s.stagedLayer, ctx.limits);
      await mkdir(ctx.layersDir, { recursive: true });
      await rename(s.stagedLayer, s.layerDir);
      undo.push(() => rm(s.layerDir, { recursive: true, force: true }));
    }
    const config = await ctx.blobs.put(s.config);
    if (config.added) undo.push(() => ctx.blobs.delete(config.digest));
    const manifest: OciManifest = {
      schemaVersion: 2,
      mediaType: MediaTypes.manifest,
      config: { mediaType: MediaTypes.config, digest: config.digest, size: config.size },
      layers: [{ mediaType: MediaTypes.layer, digest: s.diffId, size: s.layerSize }],
    };
    const stored = await ctx.blobs.put(Buffer.from(JSON.stringify(manifest)));
    if (stored.added) undo.push(() => ctx.blobs.delete(stored.digest));
    const desc: Descriptor = { mediaType: MediaTypes.manifest, digest: stored.digest, size: stored.size };
    if (reference !== undefined) await ctx.index.tag(reference, desc);
    else await ctx.index.addUntagged(desc);
    return stored.digest;
  } catch (err) {
    for (const step of undo.reverse()) await step().catch(() => undefined);
    throw err;
  }
}
