import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { digestHex } from './blob-store.js';
import type { ImageRecord } from './oci.js';
import type { PulledContext } from './pulled.js';
import type { SnapshotRecord } from './snapshotter.js';

const HEX = /^[a-f0-9]{64}$/;

/**
 * Deletes what no image or snapshot uses: blobs (and their layer records)
 * that no indexed image names, and unpacked layers that no image or
 * snapshot lists. That is what an interrupted pull leaves: blobs written
 * before the pull failed, never tagged. Run it only while nothing writes
 * (at start-up).
 */
export async function sweepOrphans(
  ctx: PulledContext,
  images: ImageRecord[],
  snapshots: SnapshotRecord[],
): Promise<void> {
  const blobs = new Set<string>();
  const layers = new Set<string>();
  for (const r of images) {
    blobs.add(r.manifestDigest).add(r.id);
    for (const l of r.manifest.layers) blobs.add(l.digest);
    for (const d of r.config.rootfs.diff_ids) layers.add(digestHex(d));
  }
  for (const s of snapshots) for (const d of s.layers) layers.add(digestHex(d));
  for (const digest of await ctx.blobs.list()) {
    if (!blobs.has(digest)) await ctx.blobs.delete(digest);
  }
  for (const name of await readdir(ctx.records.dir).catch(() => [])) {
    const hex = name.replace(/\.json$/, '');
    if (!HEX.test(hex) || !blobs.has(`sha256:${hex}`)) await rm(join(ctx.records.dir, name), { force: true });
  }
  for (const name of await readdir(ctx.layersDir).catch(() => [])) {
    if (HEX.test(name) && !layers.has(name)) await rm(join(ctx.layersDir, name), { recursive: true, force: true });
  }
}
