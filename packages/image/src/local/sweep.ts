import { readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { digestHex } from './blob-store.js';
import type { ImageRecord } from './oci.js';
import type { PulledContext } from './pulled.js';
import type { SnapshotRecord } from './snapshotter.js';

const HEX = /^[a-f0-9]{64}$/;

/** Options of {@link sweepOrphans}. */
export interface SweepOptions {
  /**
   * Blobs written less than this many milliseconds ago are kept even when
   * nothing names them yet: a pull (or load) in flight stores its blobs
   * before it tags the image. Default 0, which is right only while nothing
   * writes (at start-up).
   */
  minAgeMs?: number;
  /** Only these blobs are candidates (default: every stored blob). */
  only?: Iterable<string>;
}

/**
 * Deletes what no image or snapshot uses: blobs (and their layer records)
 * that no indexed image names, and unpacked layers that no image, snapshot
 * or kept layer blob leads to. That is what an interrupted pull leaves
 * (blobs written before it failed, never tagged), and what a failed load or
 * a removed image left behind. The caller holds the service lock.
 * Resolves with the bytes of the blobs deleted.
 */
export async function sweepOrphans(
  ctx: PulledContext,
  images: ImageRecord[],
  snapshots: SnapshotRecord[],
  options: SweepOptions = {},
): Promise<number> {
  const blobs = new Set<string>();
  const layers = new Set<string>();
  for (const r of images) {
    blobs.add(r.manifestDigest).add(r.id);
    for (const l of r.manifest.layers) blobs.add(l.digest);
    for (const d of r.config.rootfs.diff_ids) layers.add(digestHex(d));
  }
  for (const s of snapshots) for (const d of s.layers) layers.add(digestHex(d));
  const minAge = options.minAgeMs ?? 0;
  const now = Date.now();
  const candidates = options.only === undefined ? await ctx.blobs.list() : [...options.only];
  let freed = 0;
  for (const digest of candidates) {
    if (blobs.has(digest)) continue;
    const info = await stat(ctx.blobs.path(digest)).catch(() => undefined);
    if (info && minAge > 0 && now - info.mtimeMs < minAge) continue;
    if (await ctx.blobs.delete(digest)) freed += info?.size ?? 0;
    await ctx.records.delete(digest);
  }
  const stored = new Set(await ctx.blobs.list());
  for (const name of await readdir(ctx.records.dir).catch(() => [])) {
    const hex = name.replace(/\.json$/, '');
    const digest = `sha256:${hex}`;
    if (!HEX.test(hex) || !stored.has(digest)) {
      await rm(join(ctx.records.dir, name), { force: true });
      continue;
    }
    const record = await ctx.records.get(digest).catch(() => undefined);
    if (record) layers.add(digestHex(record.diffID));
  }
  // An uncompressed layer's blob digest is its diff ID: a kept blob keeps its layer.
  for (const digest of stored) layers.add(digestHex(digest));
  for (const name of await readdir(ctx.layersDir).catch(() => [])) {
    if (HEX.test(name) && !layers.has(name)) await rm(join(ctx.layersDir, name), { recursive: true, force: true });
  }
  return freed;
}
