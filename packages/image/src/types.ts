import type { Image, ImageConfig, ImageDeleteResult, Mount } from '@tscr/api';
import type { CallOptions } from '@tscr/api';

export type { CallOptions };

/** Reads and changes image metadata. */
export interface ImageStore {
  /** Every image, newest first. */
  list(opts?: CallOptions): Promise<Image[]>;
  /**
   * One image by reference (`busybox:test`, `docker.io/library/busybox:test`),
   * full ID (`sha256:…`, or its 64 hex digits) or unambiguous ID prefix (4+ hex digits).
   * @throws NotFound when nothing matches; InvalidArgument for a malformed reference.
   */
  get(ref: string, opts?: CallOptions): Promise<Image>;
  /**
   * Points `target` at the image `source` names.
   * @throws NotFound for an unknown source; InvalidArgument for a malformed target.
   */
  tag(source: string, target: string, opts?: CallOptions): Promise<void>;
  /**
   * Removes a reference; the image itself goes when its last reference does
   * (or at once by ID). @throws NotFound; FailedPrecondition when the image is
   * referenced by several tags and named by ID without `force`, or is in use by a snapshot without `force`.
   */
  remove(ref: string, opts?: CallOptions & { force?: boolean }): Promise<ImageDeleteResult[]>;
}

/** Options of {@link ImageImporter.importTar}. */
export interface ImportOptions extends CallOptions {
  /** Reference to tag the image with (normalized, e.g. `busybox:test`). */
  reference?: string;
  /** Config of the new image (like `docker import --change`). */
  config?: ImageConfig;
  /** Stored as the image's comment. */
  message?: string;
}

/** Creates images from outside data. */
export interface ImageImporter {
  /**
   * Makes a one-layer image from a root filesystem tar stream (plain or gzip),
   * like `docker import`. Nothing is left behind when it fails.
   * @throws InvalidArgument for a malformed reference or a stream that is not a tar.
   */
  importTar(tar: AsyncIterable<Uint8Array>, opts?: ImportOptions): Promise<Image>;
}

/**
 * Writable root filesystems over an image's read-only layers. `prepare`
 * returns mounts (overlay) for the caller (the runtime) to perform.
 */
export interface Snapshotter {
  /**
   * Creates snapshot `key` over the layers of `image`.
   * @throws AlreadyExists if `key` exists; NotFound for an unknown image.
   */
  prepare(key: string, image: string, opts?: CallOptions): Promise<Mount[]>;
  /** The mounts of an existing snapshot. @throws NotFound. */
  mounts(key: string, opts?: CallOptions): Promise<Mount[]>;
  /** Deletes the snapshot's writable layer. Idempotent for a missing key. */
  removeSnapshot(key: string, opts?: CallOptions): Promise<void>;
}

/** Archive formats of {@link ImageArchiver}. */
export type ArchiveFormat = 'docker-archive' | 'oci-archive';

/** Options of {@link ImageArchiver.save}. */
export interface SaveOptions extends CallOptions {
  /** Default `docker-archive` (`manifest.json`); `oci-archive` writes an OCI image layout. */
  format?: ArchiveFormat;
}

/** One image a {@link ImageArchiver.load} stored. */
export interface LoadedImage {
  /** The image ID (config digest). */
  id: string;
  /** References it was tagged with (normalized); empty when the archive named none. */
  refs: string[];
}

/** Saves images to, and loads them from, tar archives (`docker save`/`docker load`). */
export interface ImageArchiver {
  /**
   * The images `refs` name as one tar stream (read it to the end, or abort).
   * Images are resolved before the first byte comes.
   * @throws NotFound for an unknown image; InvalidArgument for no image or a malformed reference.
   */
  save(refs: string[], opts?: SaveOptions): AsyncIterable<Uint8Array>;
  /**
   * Stores the images of a docker-archive (also legacy layouts) or OCI image
   * layout tar, told apart by their content, and tags them as the archive
   * names them. Nothing is left behind when it fails.
   * @throws InvalidArgument for a stream that is not such an archive, a truncated one,
   *   or a layer whose content does not match its config.
   */
  load(tar: AsyncIterable<Uint8Array>, opts?: CallOptions): Promise<LoadedImage[]>;
}

/** One step of an image's history, newest first (like `docker history`). */
export interface HistoryEntry {
  /** The image ID for the top step, `<missing>` for the steps below. */
  id: string;
  /** RFC 3339; empty when unknown. */
  created: string;
  createdBy: string;
  /** Bytes of the layer this step made; 0 for a metadata-only step. */
  size: number;
  comment: string;
  /** True when the step made no layer. */
  emptyLayer: boolean;
  /** References of the image whose top step this is (the image itself). */
  tags: string[];
}

/** Options of {@link ImageCollector.prune}. */
export interface PruneOptions extends CallOptions {
  /** Remove every image no snapshot (container) uses, not only the dangling (untagged) ones. */
  all?: boolean;
  /** `label=KEY`, `label=KEY=VALUE`, `label!=…`: only images whose labels match. */
  filters?: string[];
  /**
   * Keys of the snapshots still in use (the containers the container layer
   * knows). When given, other snapshots older than the collection grace
   * period are removed first; omitted, snapshots are left alone.
   */
  liveSnapshots?: string[];
}

/** What {@link ImageCollector.prune} removed. */
export interface PruneResult {
  deleted: ImageDeleteResult[];
  /** Bytes of blobs and unpacked layers freed. */
  spaceReclaimed: number;
}

/** Image history and removal of what is no longer used. */
export interface ImageCollector {
  /** The history of image `ref`, newest step first. @throws NotFound. */
  history(ref: string, opts?: CallOptions): Promise<HistoryEntry[]>;
  /**
   * Removes dangling images (with `all`, every image no snapshot uses), then
   * collects blobs and unpacked layers no image or snapshot references.
   * Never removes an image a snapshot (a container) uses.
   * @throws InvalidArgument for a malformed filter.
   */
  prune(opts?: PruneOptions): Promise<PruneResult>;
}

/** A stored layer made by {@link LayerBuilder.diff}. */
export interface LayerInfo {
  /** `sha256:` of the uncompressed tar. */
  diffId: string;
  /** `sha256:` of the stored (gzip) blob. */
  digest: string;
  /** Size of the stored blob in bytes. */
  size: number;
  mediaType: string;
  /** True when the snapshot had no changes (the layer is an empty tar). */
  empty: boolean;
}

/** Options of {@link LayerBuilder.diff}. */
export interface DiffOptions extends CallOptions {
  /**
   * Paths (absolute, in the container) the runtime creates as mount points,
   * e.g. `/etc/hosts`: left out of the layer when they are an empty file or
   * directory that no lower layer has.
   */
  mountPoints?: string[];
  /** Seconds since the epoch every entry's mtime is set to (default 0), so equal changes give equal digests. */
  epoch?: number;
}

/** One history entry to record in a new image (OCI `history`). */
export interface NewHistoryEntry {
  created?: string;
  createdBy?: string;
  comment?: string;
  author?: string;
  /** True for a step that made no layer (metadata only). */
  emptyLayer?: boolean;
}

/** What {@link LayerBuilder.createImage} makes. */
export interface NewImage {
  /** The base image (reference or ID); omitted: `scratch`. */
  parent?: string;
  /** Layers (from {@link LayerBuilder.diff}) appended to the parent's. */
  layers?: LayerInfo[];
  /** The whole config of the new image (not merged with the parent's). */
  config: ImageConfig;
  /** Appended to the parent's history; entries without `emptyLayer` must match `layers` in number. */
  history?: NewHistoryEntry[];
  /** Reference to tag the new image with. */
  reference?: string;
  /** RFC 3339 creation time; default now. */
  created?: string;
  author?: string;
}

/** Makes layers from snapshots and images from layers (the builder's and `commit`'s primitives). */
export interface LayerBuilder {
  /**
   * Stores the changes of snapshot `key` (its writable layer against the
   * layers below) as a gzip layer: OCI whiteouts (`.wh.x`, `.wh..wh..opq`)
   * for deletions and opaque directories, entries in a stable order, mtimes
   * set to `opts.epoch`. The snapshot stays. @throws NotFound for an unknown snapshot.
   */
  diff(key: string, opts?: DiffOptions): Promise<LayerInfo>;
  /**
   * Creates an image from a parent, appended layers, a config and history,
   * optionally tagging it. @throws NotFound for an unknown parent or layer;
   * InvalidArgument for a history that does not match the layers or a malformed reference.
   */
  createImage(req: NewImage, opts?: CallOptions): Promise<Image>;
}

/** The whole image layer, as the daemon consumes it and gRPC serves it. */
export interface ImageService
  extends ImageStore,
    ImageImporter,
    Snapshotter,
    ImageArchiver,
    ImageCollector,
    LayerBuilder {}
