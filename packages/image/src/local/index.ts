/**
 * @tscr/image/local — the image layer on this host: the OCI blob store, the image index,
 * overlay snapshots and layer unpacking, and `LocalImageService` over them.
 */
export { LocalImageService, createLocalImageService } from './image-service.js';
export type { LocalImageServiceOptions } from './image-service.js';
export { BlobStore, digestHex, sha256Digest } from './blob-store.js';
export type { BlobInfo, BlobStoreOptions, PutOptions } from './blob-store.js';
export { ImageIndex, REF_NAME_ANNOTATION, UNTAGGED_ANNOTATION, INDEX_MEDIA_TYPE } from './image-index.js';
export type { IndexEntry } from './image-index.js';
export { LocalSnapshotter, validateSnapshotKey } from './snapshotter.js';
export { spreadSubdirectories } from './fs-util.js';
export type { LocalSnapshotterOptions, SnapshotRecord } from './snapshotter.js';
export { unpackLayer, unpackLayerStream } from './unpack.js';
export type { UnpackOptions, UnpackStats } from './unpack.js';
export { DEFAULT_LAYER_LIMITS } from './layer-limits.js';
export type { LayerLimits } from './layer-limits.js';
