/**
 * @tscr/image — the image layer: an OCI content store, image metadata,
 * `docker import`-style imports and overlay snapshots. The gRPC server and
 * client live behind the `@tscr/image/grpc` subpath.
 * This entry holds the interface types and pure helpers only (nothing that
 * touches the host); the local implementation is `@tscr/image/local`.
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
export { normalizeTag } from './local/names.js';
export { applyImageChanges } from './changes.js';
export { MediaTypes, ociArchitecture } from './local/oci.js';
export type { OciImageConfig, OciManifest, OciRunConfig } from './local/oci.js';
