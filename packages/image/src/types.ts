import type { Image, ImageConfig, ImageDeleteResult, Mount } from '@tscr/api';

/** Options every call takes. */
export interface CallOptions {
  /** Aborting cancels the call with a Cancelled error. */
  signal?: AbortSignal;
}

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

/** The whole image layer, as the daemon consumes it and gRPC serves it. */
export interface ImageService extends ImageStore, ImageImporter, Snapshotter {}
