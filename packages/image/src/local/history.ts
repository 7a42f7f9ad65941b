import type { HistoryEntry } from '../types.js';
import type { ImageRecord } from './oci.js';

/**
 * The history of an image, newest step first, as `docker history` shows it:
 * steps that made a layer get that layer's size (in the order the config's
 * non-empty steps and the manifest's layers line up); the top step carries
 * the image ID and references, the rest `<missing>`. An image without
 * history gets one row per layer.
 */
export function imageHistory(rec: ImageRecord, refs: string[]): HistoryEntry[] {
  const layers = rec.manifest.layers;
  const steps = rec.config.history ?? [];
  const rows: HistoryEntry[] = [];
  let layer = 0;
  const source =
    steps.length > 0 ? steps : layers.map(() => ({ created: rec.config.created, created_by: '', comment: '' }));
  for (const h of source) {
    const empty = 'empty_layer' in h && h.empty_layer === true;
    const size = empty ? 0 : (layers[layer++]?.size ?? 0);
    rows.push({
      id: '<missing>',
      created: h.created ?? '',
      createdBy: h.created_by ?? '',
      size,
      comment: h.comment ?? '',
      emptyLayer: empty,
      tags: [],
    });
  }
  rows.reverse();
  const top = rows[0];
  if (top) {
    top.id = rec.id;
    top.tags = refs.filter((r) => !r.includes('@')).sort();
  }
  return rows;
}

export { labelsMatch, parsePruneFilters } from '@tscr/api';
