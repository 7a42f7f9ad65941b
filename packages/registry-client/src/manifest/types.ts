import type { Descriptor as BaseDescriptor } from '@tscr/api';

/** The platform an image runs on (OCI image-index `platform`). */
export interface Platform {
  /** `linux`, `windows`, … */
  os: string;
  /** OCI (GOARCH) names: `amd64`, `arm64`, `arm`, `386`, `ppc64le`, `s390x`, `riscv64`. */
  architecture: string;
  /** CPU variant, e.g. `v7` for arm, `v8` for arm64. */
  variant?: string;
  'os.version'?: string;
  'os.features'?: string[];
}

/** An OCI content descriptor as it appears in manifests; `platform` only in indexes. */
export interface Descriptor extends BaseDescriptor {
  urls?: string[];
  platform?: Platform;
}

/** An OCI image manifest or Docker schema2 manifest. */
export interface ImageManifest {
  schemaVersion: 2;
  mediaType: string;
  config: Descriptor;
  layers: Descriptor[];
  annotations?: Record<string, string>;
}

/** An OCI image index or Docker manifest list. */
export interface ImageIndex {
  schemaVersion: 2;
  mediaType: string;
  manifests: Descriptor[];
  annotations?: Record<string, string>;
}

/** A parsed manifest, told apart by `kind`. */
export type Manifest = ({ kind: 'manifest' } & ImageManifest) | ({ kind: 'index' } & ImageIndex);
