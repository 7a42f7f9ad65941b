import type { ImageRecord } from './oci.js';

/**
 * True when `child` was made from `parent`: its layers and history start with
 * all of `parent`'s, and it has more history (a build step or a commit). The
 * history entries carry their creation times, so unrelated images that merely
 * share a base layer are not each other's parent.
 */
function derivedFrom(child: ImageRecord, parent: ImageRecord): boolean {
  const ch = child.config.history ?? [];
  const ph = parent.config.history ?? [];
  const cl = child.config.rootfs.diff_ids;
  const pl = parent.config.rootfs.diff_ids;
  if (ph.length === 0 || ch.length <= ph.length || cl.length < pl.length) return false;
  return pl.every((d, i) => cl[i] === d) && ph.every((h, i) => JSON.stringify(h) === JSON.stringify(ch[i]));
}

/**
 * The parent of each image (Docker's `Parent`): the closest image it was built
 * from, by ID. Images made outside a build or commit (pulled, imported) have none.
 */
export function parentsOf(records: ImageRecord[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const child of records) {
    let best: ImageRecord | undefined;
    for (const p of records) {
      if (p.id === child.id || !derivedFrom(child, p)) continue;
      if (!best || (p.config.history?.length ?? 0) > (best.config.history?.length ?? 0)) best = p;
    }
    if (best) out.set(child.id, best.id);
  }
  return out;
}
