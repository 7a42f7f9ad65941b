import type { Descriptor } from './manifest/types.js';
import type { CallOptions } from '@tscr/api';

export type { CallOptions };
export type { Descriptor };

/** A parsed, normalized image reference. */
export interface Reference {
  /** Registry host, e.g. `docker.io`, `localhost:5000`. */
  domain: string;
  /** Repository path, e.g. `library/alpine`. */
  path: string;
  /** Tag; `latest` when neither tag nor digest was given. */
  tag?: string;
  /** `sha256:…` when pinned by digest. */
  digest?: string;
  /** `docker.io/library/alpine:latest`. */
  normalized: string;
  /** How Docker prints it: `alpine:latest`. */
  familiar: string;
}

/** One progress report of a pull or push. */
export interface Progress {
  /** Layer digest or the reference. */
  id: string;
  status: string;
  current?: number;
  total?: number;
}

/**
 * Where a pull puts what it fetched: the image store, or any content store.
 * Manifests are stored as blobs too (as in an OCI image layout).
 */
export interface ImageSink {
  /** True when the blob is stored already (the pull then skips it). */
  hasBlob(digest: string, opts?: CallOptions): Promise<boolean>;
  /**
   * Stores a blob. `data` is verified while it streams: when the iteration
   * throws (DataLoss for a digest mismatch or truncation, Cancelled, …) the
   * sink must discard what it wrote and let the error through.
   */
  writeBlob(desc: Descriptor, data: AsyncIterable<Uint8Array>, opts?: CallOptions): Promise<void>;
  /** Points `ref` at the manifest `desc`; called last, once every blob it names is stored. */
  tag(ref: Reference, desc: Descriptor, opts?: CallOptions): Promise<void>;
}

/**
 * Somewhere else a pull may find a blob before asking the registry (a peer
 * daemon's content store). What it returns is verified against the
 * descriptor like registry bytes; a wrong blob is discarded and the
 * registry asked instead.
 */
export interface BlobSource {
  /**
   * The bytes of `desc`, or undefined when no source has it. Must give up
   * quickly (a short timeout) when a source is unreachable.
   */
  open(desc: Descriptor, opts?: CallOptions): Promise<AsyncIterable<Uint8Array> | undefined>;
}

/** Where a push reads an image from. */
export interface ImageSource {
  /** The manifest (or index) `ref` names locally. @throws NotFound. */
  resolve(ref: Reference, opts?: CallOptions): Promise<Descriptor>;
  /** The bytes of a stored blob (manifests included). @throws NotFound. */
  readBlob(desc: Descriptor, opts?: CallOptions): AsyncIterable<Uint8Array>;
  /**
   * Optional: called once a push of `ref` succeeded, with the manifest (or
   * index) the registry now holds, so the store can record the image's
   * repo digest (`repo@sha256:…`), as docker does after a push.
   */
  pushed?(ref: Reference, manifest: Descriptor, opts?: CallOptions): Promise<void>;
}

/** Talks to registries. */
export interface RegistryClient {
  /** @throws InvalidArgument for a malformed reference. */
  parseReference(ref: string): Promise<Reference>;
  /**
   * Pulls `ref` (this host's platform) into the client's image store,
   * reporting progress.
   * @throws InvalidArgument for a malformed reference; NotFound; Unauthenticated;
   *   DataLoss; ResourceExhausted; Unavailable; Unimplemented when the client
   *   has no image store to pull into.
   */
  pull(ref: string, opts?: CallOptions): AsyncIterable<Progress>;
  /**
   * Pushes `ref` from the client's image store, reporting progress.
   * @throws as `pull`; Unimplemented when the client has no image store to push from.
   */
  push(ref: string, opts?: CallOptions): AsyncIterable<Progress>;
}
