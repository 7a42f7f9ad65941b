/**
 * Daemon-to-daemon transfer, by role: a sender (the source daemon, asked by a
 * client), a receiver (the target daemon, called by the source), a blob
 * server (any daemon, asked by peers). Plain types; the wire is in `grpc/`.
 */

import type { CallOptions } from './call.js';

/** A content-addressed blob. */
export interface BlobDescriptor {
  mediaType: string;
  /** `sha256:…`. */
  digest: string;
  /** Bytes. */
  size: number;
}

/** One step of a transfer. */
export interface TransferProgress {
  /** The image reference being sent. */
  ref: string;
  /** A blob digest, or empty for the image as a whole. */
  digest: string;
  /** `Already exists`, `Sending`, `Sent` or `Recorded`. */
  status: string;
  /** Bytes of the blob (for `Sending`/`Sent`). */
  bytes: number;
}

/** What a daemon received and served since it started. */
export interface TransferStats {
  blobsReceived: number;
  /** Blob bytes that arrived (verified or not): a transfer of blobs the target has adds nothing. */
  blobBytesReceived: number;
  blobsServed: number;
  blobBytesServed: number;
  volumeBytesReceived: number;
}

/** A volume to create on the receiving daemon. */
export interface VolumeSpec {
  name: string;
  driver: string;
  labels: Record<string, string>;
}

/** The source side: asked by a client to send to another daemon. */
export interface ImageSender {
  /**
   * Sends images (names or IDs) to the daemon at `target` (`unix:///…` or
   * `tcp://…`, reached with this daemon's own TLS identity): only the blobs the
   * target lacks travel; the target records each image once every blob is in.
   * @throws NotFound for an unknown image; Unavailable when the target cannot be
   *   reached; DataLoss when the target rejects a blob; Cancelled.
   */
  sendImages(refs: string[], target: string, opts?: CallOptions): AsyncIterable<TransferProgress>;
  /**
   * Sends the content of local volume `name` to `target`, which creates a volume of that name.
   * @throws NotFound; AlreadyExists when the target has that volume; Unavailable; FailedPrecondition
   *   for a volume whose driver is not `local`.
   */
  sendVolume(name: string, target: string, opts?: CallOptions): Promise<{ bytes: number }>;
}

/** The target side: called by a source daemon. */
export interface BlobReceiver {
  /** The digests of `digests` not stored here. @throws InvalidArgument for a malformed digest. */
  missingBlobs(digests: string[], opts?: CallOptions): Promise<string[]>;
  /**
   * Stores one blob, verifying digest and size while it streams; on any
   * failure nothing of it is kept. Resolves with the bytes received.
   * @throws DataLoss for a wrong digest or size; Cancelled.
   */
  putBlob(desc: BlobDescriptor, data: AsyncIterable<Uint8Array>, opts?: CallOptions): Promise<number>;
  /**
   * Names the image whose manifest is `manifest` as `ref`, after checking that the manifest and every blob it
   * names are stored. @throws FailedPrecondition (or NotFound) when one is missing; InvalidArgument for a bad ref.
   */
  recordImage(ref: string, manifest: BlobDescriptor, opts?: CallOptions): Promise<void>;
  /**
   * Creates volume `spec` and unpacks the tar stream `data` into it; on failure the volume is removed again.
   * @throws AlreadyExists when a volume of that name exists; FailedPrecondition for a non-local driver.
   */
  putVolume(spec: VolumeSpec, data: AsyncIterable<Uint8Array>, opts?: CallOptions): Promise<number>;
}

/** Any daemon: blobs for peers, and counters. */
export interface BlobServer {
  /** The bytes of a stored blob. @throws NotFound. */
  getBlob(digest: string, opts?: CallOptions): AsyncIterable<Uint8Array>;
  stats(opts?: CallOptions): Promise<TransferStats>;
}

/** The whole transfer service. */
export interface TransferService extends ImageSender, BlobReceiver, BlobServer {}
