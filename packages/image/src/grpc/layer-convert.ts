/** Layer diffs and new images: domain types ↔ proto messages. */
import type { imagesV1 } from '@tscr/api/grpc';
import type { DiffOptions, LayerInfo, NewHistoryEntry, NewImage } from '../types.js';
import { configFromProto, configToProto } from './convert.js';

/** Layer → proto. */
export function layerToProto(l: LayerInfo): imagesV1.LayerInfo {
  return { diffId: l.diffId, digest: l.digest, size: l.size, mediaType: l.mediaType, empty: l.empty };
}

/** Proto layer → domain. */
export function layerFromProto(p: imagesV1.LayerInfo): LayerInfo {
  return { diffId: p.diffId, digest: p.digest, size: p.size, mediaType: p.mediaType, empty: p.empty };
}

/** Diff request → proto. */
export function diffRequestToProto(key: string, o: DiffOptions): imagesV1.DiffSnapshotRequest {
  return { key, mountPoints: o.mountPoints ?? [], epoch: o.epoch ?? 0 };
}

/** Proto diff request → domain options (without the signal). */
export function diffOptionsFromProto(p: imagesV1.DiffSnapshotRequest): DiffOptions {
  const out: DiffOptions = {};
  if (p.mountPoints.length > 0) out.mountPoints = p.mountPoints;
  if (p.epoch) out.epoch = p.epoch;
  return out;
}

function historyToProto(h: NewHistoryEntry): imagesV1.HistoryEntry {
  return {
    created: h.created ?? '',
    createdBy: h.createdBy ?? '',
    comment: h.comment ?? '',
    author: h.author ?? '',
    emptyLayer: h.emptyLayer === true,
  };
}

function historyFromProto(p: imagesV1.HistoryEntry): NewHistoryEntry {
  const out: NewHistoryEntry = { createdBy: p.createdBy };
  if (p.created) out.created = p.created;
  if (p.comment) out.comment = p.comment;
  if (p.author) out.author = p.author;
  if (p.emptyLayer) out.emptyLayer = true;
  return out;
}

/** New image → proto. */
export function newImageToProto(r: NewImage): imagesV1.CreateImageRequest {
  return {
    parent: r.parent ?? '',
    layers: (r.layers ?? []).map(layerToProto),
    config: configToProto(r.config),
    history: (r.history ?? []).map(historyToProto),
    reference: r.reference ?? '',
    created: r.created ?? '',
    author: r.author ?? '',
  };
}

/** Proto new image → domain. */
export function newImageFromProto(p: imagesV1.CreateImageRequest): NewImage {
  const out: NewImage = { config: configFromProto(p.config) };
  if (p.parent) out.parent = p.parent;
  if (p.layers.length > 0) out.layers = p.layers.map(layerFromProto);
  if (p.history.length > 0) out.history = p.history.map(historyFromProto);
  if (p.reference) out.reference = p.reference;
  if (p.created) out.created = p.created;
  if (p.author) out.author = p.author;
  return out;
}
