/** The only place domain image types meet their proto messages. */
import type { Image, ImageConfig, ImageDeleteResult, Mount } from '@tscr/api';
import { healthConfigFromProto, healthConfigToProto, type imagesV1, type typesV1 } from '@tscr/api/grpc';
import type { ImportOptions } from '../types.js';

/** Domain config → proto (`hasEntrypoint` keeps "none" apart from "empty"). */
export function configToProto(c: ImageConfig = {}): imagesV1.ImageConfig {
  return {
    user: c.user ?? '',
    env: c.env ?? [],
    entrypoint: c.entrypoint ?? [],
    hasEntrypoint: c.entrypoint !== undefined,
    cmd: c.cmd ?? [],
    workingDir: c.workingDir ?? '',
    labels: { ...c.labels },
    stopSignal: c.stopSignal ?? '',
    exposedPorts: c.exposedPorts ?? [],
    volumes: c.volumes ?? [],
    healthcheck: c.healthcheck ? healthConfigToProto(c.healthcheck) : undefined,
    shell: c.shell ?? [],
    onBuild: c.onBuild ?? [],
  };
}

/** Proto config → domain; empty fields are left out, as the local store reports them. */
export function configFromProto(p: imagesV1.ImageConfig | undefined): ImageConfig {
  const out: ImageConfig = {};
  if (!p) return out;
  if (p.user) out.user = p.user;
  if (p.env.length > 0) out.env = p.env;
  if (p.hasEntrypoint) out.entrypoint = p.entrypoint;
  if (p.cmd.length > 0) out.cmd = p.cmd;
  if (p.workingDir) out.workingDir = p.workingDir;
  if (Object.keys(p.labels).length > 0) out.labels = { ...p.labels };
  if (p.stopSignal) out.stopSignal = p.stopSignal;
  if (p.exposedPorts.length > 0) out.exposedPorts = p.exposedPorts;
  if (p.volumes.length > 0) out.volumes = p.volumes;
  if (p.healthcheck) out.healthcheck = healthConfigFromProto(p.healthcheck);
  if (p.shell.length > 0) out.shell = p.shell;
  if (p.onBuild.length > 0) out.onBuild = p.onBuild;
  return out;
}

/** Domain image → proto. */
export function imageToProto(i: Image): imagesV1.Image {
  return {
    id: i.id,
    repoTags: i.repoTags,
    repoDigests: i.repoDigests,
    manifestDigest: i.manifestDigest,
    created: i.created,
    size: i.size,
    os: i.os,
    architecture: i.architecture,
    config: configToProto(i.config),
    layers: i.layers,
    comment: i.comment ?? '',
    parent: i.parent ?? '',
  };
}

/** Proto image → domain. */
export function imageFromProto(p: imagesV1.Image): Image {
  const out: Image = {
    id: p.id,
    repoTags: p.repoTags,
    repoDigests: p.repoDigests,
    manifestDigest: p.manifestDigest,
    created: p.created,
    size: p.size,
    os: p.os,
    architecture: p.architecture,
    config: configFromProto(p.config),
    layers: p.layers,
  };
  if (p.comment) out.comment = p.comment;
  if (p.parent) out.parent = p.parent;
  return out;
}

/** Import options (without the signal) → proto. */
export function importOptionsToProto(o: ImportOptions): imagesV1.ImportOptions {
  return {
    reference: o.reference ?? '',
    config: o.config === undefined ? undefined : configToProto(o.config),
    hasConfig: o.config !== undefined,
    message: o.message ?? '',
  };
}

/** Proto import options → domain. */
export function importOptionsFromProto(p: imagesV1.ImportOptions): ImportOptions {
  const out: ImportOptions = {};
  if (p.reference) out.reference = p.reference;
  if (p.hasConfig) out.config = configFromProto(p.config);
  if (p.message) out.message = p.message;
  return out;
}

/** Delete results → proto. */
export function deleteResultToProto(r: ImageDeleteResult): imagesV1.ImageDeleteResult {
  return { untagged: r.untagged ?? '', deleted: r.deleted ?? '' };
}

/** Proto delete result → domain (empty fields left out). */
export function deleteResultFromProto(p: imagesV1.ImageDeleteResult): ImageDeleteResult {
  const out: ImageDeleteResult = {};
  if (p.untagged) out.untagged = p.untagged;
  if (p.deleted) out.deleted = p.deleted;
  return out;
}

/** Mount → proto. */
export function mountToProto(m: Mount): typesV1.Mount {
  return { type: m.type, source: m.source, options: [...m.options] };
}

/** Proto mount → domain. */
export function mountFromProto(p: typesV1.Mount): Mount {
  return { type: p.type, source: p.source, options: [...p.options] };
}
