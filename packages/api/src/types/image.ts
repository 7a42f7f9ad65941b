/** Domain types of images, shared by every layer. Plain data; no wire types. */
import type { HealthConfig } from './container.js';

/** An OCI content descriptor. */
export interface Descriptor {
  /** Media type, e.g. `application/vnd.oci.image.layer.v1.tar`. */
  mediaType: string;
  /** `sha256:<64 hex>`. */
  digest: string;
  /** Size in bytes of the referenced content. */
  size: number;
  annotations?: Record<string, string>;
}

/** The runnable defaults an image carries (OCI image config `config` section). */
export interface ImageConfig {
  /** `user`, `user:group`, `uid` or `uid:gid`; empty means root. */
  user?: string;
  /** `KEY=value` entries. */
  env?: string[];
  entrypoint?: string[];
  cmd?: string[];
  workingDir?: string;
  labels?: Record<string, string>;
  stopSignal?: string;
  /** `80/tcp`-style keys. */
  exposedPorts?: string[];
  /** Paths declared as volumes. */
  volumes?: string[];
  /** The image's HEALTHCHECK. */
  healthcheck?: HealthConfig;
  /** Default shell of shell-form instructions (Dockerfile `SHELL`), e.g. `["/bin/sh", "-c"]`. */
  shell?: string[];
  /** Dockerfile instructions recorded by `ONBUILD`, run when the image is used as a base. */
  onBuild?: string[];
}

/** An image as the image store knows it. */
export interface Image {
  /** The config digest, `sha256:…`: the image ID. */
  id: string;
  /** Normalized references that point at it, e.g. `docker.io/library/busybox:test`. */
  repoTags: string[];
  /** `name@sha256:…` references of manifests in registries. */
  repoDigests: string[];
  /** Digest of the image manifest in the local store. */
  manifestDigest: string;
  /** Creation time, RFC 3339. */
  created: string;
  /** Sum of the uncompressed layer sizes, in bytes. */
  size: number;
  os: string;
  architecture: string;
  config: ImageConfig;
  /** Uncompressed layer digests (diff IDs), base first. */
  layers: string[];
  /** Free-form comment (for example from `import --message`). */
  comment?: string;
  /** ID of the image this one was built or committed from (Docker's `Parent`); none for pulled or imported ones. */
  parent?: string;
}

/** What `remove` did to one image: a reference removed, or the image deleted. */
export interface ImageDeleteResult {
  untagged?: string;
  deleted?: string;
}

/**
 * A filesystem mount in the shape containerd's snapshotters return:
 * the runtime performs it. For overlay, `options` holds `lowerdir=…`,
 * `upperdir=…`, `workdir=…`.
 */
export interface Mount {
  type: string;
  source: string;
  options: string[];
}
