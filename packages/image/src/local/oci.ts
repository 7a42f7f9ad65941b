import type { Descriptor, HealthConfig, Image, ImageConfig } from '@tscr/api';

/** OCI media types this package writes. */
export const MediaTypes = {
  manifest: 'application/vnd.oci.image.manifest.v1+json',
  config: 'application/vnd.oci.image.config.v1+json',
  layer: 'application/vnd.oci.image.layer.v1.tar',
} as const;

/** The `config` section of an OCI image config (Docker's capitalized names). */
export interface OciRunConfig {
  User?: string;
  Env?: string[];
  Entrypoint?: string[];
  Cmd?: string[];
  WorkingDir?: string;
  Labels?: Record<string, string>;
  StopSignal?: string;
  ExposedPorts?: Record<string, object>;
  Volumes?: Record<string, object>;
  /** Docker's HEALTHCHECK; durations in nanoseconds. */
  Healthcheck?: { Test?: string[]; Interval?: number; Timeout?: number; StartPeriod?: number; Retries?: number };
  Shell?: string[];
  OnBuild?: string[];
}

/** An OCI image config document (the blob whose digest is the image ID). */
export interface OciImageConfig {
  created?: string;
  author?: string;
  architecture: string;
  os: string;
  config?: OciRunConfig;
  rootfs: { type: 'layers'; diff_ids: string[] };
  history?: { created?: string; created_by?: string; author?: string; comment?: string; empty_layer?: boolean }[];
}

/** An OCI image manifest document. */
export interface OciManifest {
  schemaVersion: 2;
  mediaType?: string;
  config: Descriptor;
  layers: Descriptor[];
  annotations?: Record<string, string>;
}

/** Node's `process.arch` names as OCI names them: one table, in the registry client. */
export { ociArchitecture } from '@tscr/registry-client';

function nonEmpty<T>(list: T[] | undefined): T[] | undefined {
  return list && list.length > 0 ? list : undefined;
}

function asSet(keys: string[] | undefined): Record<string, object> | undefined {
  return keys && keys.length > 0 ? Object.fromEntries(keys.map((k) => [k, {}])) : undefined;
}

/** Domain config to the OCI `config` section (empty fields left out). */
export function toOciRunConfig(c: ImageConfig = {}): OciRunConfig {
  const out: OciRunConfig = {};
  if (c.user) out.User = c.user;
  if (nonEmpty(c.env)) out.Env = [...(c.env as string[])];
  if (c.entrypoint !== undefined) out.Entrypoint = [...c.entrypoint];
  if (nonEmpty(c.cmd)) out.Cmd = [...(c.cmd as string[])];
  if (c.workingDir) out.WorkingDir = c.workingDir;
  if (c.labels && Object.keys(c.labels).length > 0) out.Labels = { ...c.labels };
  if (c.stopSignal) out.StopSignal = c.stopSignal;
  const ports = asSet(c.exposedPorts);
  if (ports) out.ExposedPorts = ports;
  const volumes = asSet(c.volumes);
  if (volumes) out.Volumes = volumes;
  if (c.healthcheck) out.Healthcheck = toOciHealthcheck(c.healthcheck);
  if (nonEmpty(c.shell)) out.Shell = [...(c.shell as string[])];
  if (nonEmpty(c.onBuild)) out.OnBuild = [...(c.onBuild as string[])];
  return out;
}

/** The OCI `config` section to the domain config (empty fields left out). */
export function fromOciRunConfig(c: OciRunConfig = {}): ImageConfig {
  const out: ImageConfig = {};
  if (c.User) out.user = c.User;
  if (nonEmpty(c.Env)) out.env = c.Env;
  if (Array.isArray(c.Entrypoint)) out.entrypoint = c.Entrypoint;
  if (nonEmpty(c.Cmd)) out.cmd = c.Cmd;
  if (c.WorkingDir) out.workingDir = c.WorkingDir;
  if (c.Labels && Object.keys(c.Labels).length > 0) out.labels = c.Labels;
  if (c.StopSignal) out.stopSignal = c.StopSignal;
  if (c.ExposedPorts && Object.keys(c.ExposedPorts).length > 0) out.exposedPorts = Object.keys(c.ExposedPorts);
  if (c.Volumes && Object.keys(c.Volumes).length > 0) out.volumes = Object.keys(c.Volumes);
  if (c.Healthcheck?.Test?.length) out.healthcheck = fromOciHealthcheck(c.Healthcheck);
  if (nonEmpty(c.Shell)) out.shell = c.Shell;
  if (nonEmpty(c.OnBuild)) out.onBuild = c.OnBuild;
  return out;
}

const NS_PER_MS = 1_000_000;

function toOciHealthcheck(h: HealthConfig): NonNullable<OciRunConfig['Healthcheck']> {
  const out: NonNullable<OciRunConfig['Healthcheck']> = { Test: [...(h.test ?? [])] };
  if (h.intervalMs) out.Interval = h.intervalMs * NS_PER_MS;
  if (h.timeoutMs) out.Timeout = h.timeoutMs * NS_PER_MS;
  if (h.startPeriodMs) out.StartPeriod = h.startPeriodMs * NS_PER_MS;
  if (h.retries) out.Retries = h.retries;
  return out;
}

function fromOciHealthcheck(h: NonNullable<OciRunConfig['Healthcheck']>): HealthConfig {
  const out: HealthConfig = { test: [...(h.Test ?? [])] };
  if (h.Interval) out.intervalMs = Math.round(h.Interval / NS_PER_MS);
  if (h.Timeout) out.timeoutMs = Math.round(h.Timeout / NS_PER_MS);
  if (h.StartPeriod) out.startPeriodMs = Math.round(h.StartPeriod / NS_PER_MS);
  if (h.Retries) out.retries = h.Retries;
  return out;
}

/** Everything known about one stored image, read from its manifest and config. */
export interface ImageRecord {
  manifestDigest: string;
  manifest: OciManifest;
  /** The config digest: the image ID. */
  id: string;
  config: OciImageConfig;
}

/** Builds the domain {@link Image} of a record and the references that point at it. */
export function toImage(rec: ImageRecord, refs: string[]): Image {
  const comment = [...(rec.config.history ?? [])].reverse().find((h) => h.comment)?.comment;
  const image: Image = {
    id: rec.id,
    repoTags: refs.filter((r) => !r.includes('@')).sort(),
    repoDigests: refs.filter((r) => r.includes('@')).sort(),
    manifestDigest: rec.manifestDigest,
    created: rec.config.created ?? '',
    size: rec.manifest.layers.reduce((sum, l) => sum + l.size, 0),
    os: rec.config.os,
    architecture: rec.config.architecture,
    config: fromOciRunConfig(rec.config.config),
    layers: [...rec.config.rootfs.diff_ids],
  };
  if (comment) image.comment = comment;
  return image;
}
