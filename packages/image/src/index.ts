/**
 * @tscr/image — the image layer: an OCI content store, image metadata,
 * `docker import`-style imports and overlay snapshots. The gRPC server and
 * client live behind the `@tscr/image/grpc` subpath.
 */
export type { CallOptions, ImageStore, ImportOptions, ImageImporter, Snapshotter, ImageService } from './types.js';
export type { LayerBuilder, LayerInfo, DiffOptions, NewHistoryEntry, NewImage } from './types.js';
export type {
  ArchiveFormat,
  SaveOptions,
  LoadedImage,
  ImageArchiver,
  HistoryEntry,
  PruneOptions,
  PruneResult,
  ImageCollector,
} from './types.js';
export type { Image, ImageConfig, ImageDeleteResult, Mount, Descriptor } from '@tscr/api';
export { LocalImageService, createLocalImageService } from './local/image-service.js';
export { normalizeTag } from './local/names.js';
export type { LocalImageServiceOptions } from './local/image-service.js';
export { BlobStore, digestHex, sha256Digest } from './local/blob-store.js';
export type { BlobInfo, BlobStoreOptions, PutOptions } from './local/blob-store.js';
export { ImageIndex, REF_NAME_ANNOTATION, UNTAGGED_ANNOTATION, INDEX_MEDIA_TYPE } from './local/image-index.js';
export type { IndexEntry } from './local/image-index.js';
export { LocalSnapshotter, validateSnapshotKey } from './local/snapshotter.js';
export type { LocalSnapshotterOptions, SnapshotRecord } from './local/snapshotter.js';
export { MediaTypes, ociArchitecture } from './local/oci.js';
export type { OciImageConfig, OciManifest, OciRunConfig } from './local/oci.js';
export { unpackLayer, unpackLayerStream } from './local/unpack.js';
export type { UnpackStats } from './local/unpack.js';
export { DEFAULT_LAYER_LIMITS } from './local/layer-limits.js';
export type { LayerLimits } from './local/layer-limits.js';
export type { UnpackOptions } from './local/unpack.js';
