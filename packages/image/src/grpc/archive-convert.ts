/** Proto messages of archives, history and prune, to and from their domain types. */
import type { imagesV1 } from '@tscr/api/grpc';
import type { ArchiveFormat, HistoryEntry, LoadedImage, PruneResult } from '../types.js';
import { deleteResultFromProto, deleteResultToProto } from './convert.js';

/** Domain format → proto (`docker-archive` is the default, sent as empty). */
export function formatFromProto(format: string): ArchiveFormat {
  return (format || 'docker-archive') as ArchiveFormat;
}

export function loadedToProto(l: LoadedImage): imagesV1.LoadedImage {
  return { id: l.id, refs: l.refs };
}

export function loadedFromProto(p: imagesV1.LoadedImage): LoadedImage {
  return { id: p.id, refs: p.refs };
}

export function historyToProto(h: HistoryEntry): imagesV1.HistoryStep {
  return {
    id: h.id,
    created: h.created,
    createdBy: h.createdBy,
    size: h.size,
    comment: h.comment,
    emptyLayer: h.emptyLayer,
    tags: h.tags,
  };
}

export function historyFromProto(p: imagesV1.HistoryStep): HistoryEntry {
  return {
    id: p.id,
    created: p.created,
    createdBy: p.createdBy,
    size: Number(p.size),
    comment: p.comment,
    emptyLayer: p.emptyLayer,
    tags: p.tags,
  };
}

export function pruneToProto(r: PruneResult): imagesV1.PruneImagesResponse {
  return { deleted: r.deleted.map(deleteResultToProto), spaceReclaimed: r.spaceReclaimed };
}

export function pruneFromProto(p: imagesV1.PruneImagesResponse): PruneResult {
  return { deleted: p.deleted.map(deleteResultFromProto), spaceReclaimed: Number(p.spaceReclaimed) };
}
