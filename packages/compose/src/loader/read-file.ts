/** One compose file: parsed, interpolated, checked, in the model's long forms (includes and extends not yet applied). */
import { dirname } from 'node:path';
import type { FileObjectConfig, NetworkConfig, VolumeConfig } from '../model.js';
import { interpolateTree, type Lookup } from './interpolate.js';
import { Reader } from './reader.js';
import { readService, type RawService } from './service.js';
import { Source, type DocPath, type Resets } from './source.js';
import { readFileObjects, readNetworks, readVolumes, type Raw } from './top-level.js';

/** An `include:` entry. */
export interface IncludeRef {
  paths: string[];
  projectDirectory?: string;
  envFiles?: string[];
}

/** What one file (or several merged) defines. */
export interface FileModel {
  name?: string;
  services: Record<string, RawService>;
  networks: Record<string, Raw<NetworkConfig>>;
  volumes: Record<string, Raw<VolumeConfig>>;
  secrets: Record<string, Raw<FileObjectConfig>>;
  configs: Record<string, Raw<FileObjectConfig>>;
  includes: IncludeRef[];
  /** Every file read, to name places in errors. */
  sources: Source[];
  /** Service keys this file resets or overrides (`!reset`, `!override`): earlier values are dropped. */
  resets: Resets;
  /** Top-level `x-*` extension fields, kept for `config`. */
  extensions: Record<string, unknown>;
}

const TOP_KEYS = ['version', 'name', 'include', 'services', 'networks', 'volumes', 'secrets', 'configs'];

/**
 * Parses and checks one file's text. `dir` is where its relative paths
 * start (the project directory for `-f` files, the file's own directory
 * for `extends.file` and `include`).
 * @throws InvalidArgument / Unimplemented naming the file, path and line.
 */
export function readComposeFile(
  file: string,
  dir: string,
  text: string,
  lookup: Lookup,
  warnings: string[],
): FileModel {
  const { source, value, resets } = Source.parse(file, dir, text);
  const r = new Reader(source, dir);
  const fail = (path: DocPath, msg: string) => r.fail(path, msg);
  const warned = new Set<string>();
  const warn = (name: string) => {
    if (warned.has(name)) return;
    warned.add(name);
    warnings.push(`The "${name}" variable is not set. Defaulting to a blank string.`);
  };
  const doc = r.obj(interpolateTree(value ?? {}, lookup, fail, warn), []);
  r.keys(doc, [], TOP_KEYS);
  const m: FileModel = {
    services: {},
    networks: readNetworks(r, doc.networks),
    volumes: readVolumes(r, doc.volumes),
    secrets: readFileObjects(r, doc.secrets, 'secrets'),
    configs: readFileObjects(r, doc.configs, 'configs'),
    includes: [],
    sources: [source],
    resets,
    extensions: Object.fromEntries(Object.entries(doc).filter(([k]) => k.startsWith('x-'))),
  };
  if (doc.name !== undefined) m.name = r.str(doc.name, ['name']);
  if (doc.services !== undefined && doc.services !== null) {
    for (const [name, s] of Object.entries(r.obj(doc.services, ['services']))) {
      if (name.startsWith('x-')) continue;
      if (!/^[a-zA-Z0-9._-]+$/.test(name))
        throw r.fail(['services', name], `invalid service name ${JSON.stringify(name)}`);
      m.services[name] = readService(r, name, s);
    }
  }
  if (doc.include !== undefined) {
    if (!Array.isArray(doc.include)) throw r.fail(['include'], 'must be a list');
    m.includes = doc.include.map((x, i): IncludeRef => {
      const p = ['include', i];
      if (typeof x === 'string') return { paths: [r.path(x)] };
      const o = r.obj(x, p);
      r.keys(o, p, ['path', 'project_directory', 'env_file']);
      const ref: IncludeRef = { paths: r.strOrList(o.path, [...p, 'path']).map((f) => r.path(f)) };
      if (o.project_directory !== undefined)
        ref.projectDirectory = r.path(r.str(o.project_directory, [...p, 'project_directory']));
      if (o.env_file !== undefined) ref.envFiles = r.strOrList(o.env_file, [...p, 'env_file']).map((f) => r.path(f));
      return ref;
    });
  }
  return m;
}

/** The directory a file's relative paths start from when it is read on its own. */
export function ownDir(file: string): string {
  return dirname(file);
}
