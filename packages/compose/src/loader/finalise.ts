/**
 * The last loading step: env files applied, defaults filled (the `default`
 * network), resource names given, references and dependencies checked,
 * services split by active profile.
 */
import { invalidArgument } from '@tscr/api';
import type { ComposeModel, ServiceConfig } from '../model.js';
import { readEnvFiles } from './files.js';
import type { FileModel } from './read-file.js';
import type { RawService } from './service.js';
import { configError, type DocPath } from './source.js';

interface Meta {
  name: string;
  workingDir: string;
  configFiles: string[];
  environmentFiles: string[];
  profiles: string[];
  env: Record<string, string | undefined>;
  warnings: string[];
}

/** An error naming the first file that writes `path` (else the first that has the service). */
function errorAt(m: FileModel, path: DocPath, message: string): Error {
  const src = m.sources.find((s) => s.has(path)) ?? m.sources.find((s) => s.has(path.slice(0, 2))) ?? m.sources[0];
  return src ? src.error(path, message) : configError('compose', path, message);
}

async function environment(s: RawService, env: Meta['env']): Promise<ServiceConfig['environment']> {
  const fromFiles = s.env_file?.length ? await readEnvFiles(s.env_file, (n) => env[n]) : {};
  const out: Record<string, string | null> = { ...fromFiles };
  for (const [k, v] of Object.entries(s.environment ?? {})) out[k] = v ?? env[k] ?? null;
  return Object.keys(out).length ? out : undefined;
}

/** Dependencies of a service, including the implicit ones (`network_mode: service:x`, `volumes_from: x`). */
export function dependencies(s: ServiceConfig): string[] {
  const deps = new Set(Object.keys(s.depends_on ?? {}));
  if (s.network_mode?.startsWith('service:')) deps.add(s.network_mode.slice(8));
  for (const v of s.volumes_from ?? []) {
    if (!v.startsWith('container:')) deps.add(v.replace(/^service:/, '').split(':')[0]!);
  }
  return [...deps];
}

function checkCycles(m: FileModel, all: Record<string, ServiceConfig>): void {
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (name: string, trail: string[]) => {
    if (state.get(name) === 'done') return;
    if (state.get(name) === 'visiting') {
      const cycle = [...trail.slice(trail.indexOf(name)), name];
      throw errorAt(m, ['services', cycle[0]!, 'depends_on'], `dependency cycle detected: ${cycle.join(' -> ')}`);
    }
    state.set(name, 'visiting');
    for (const d of dependencies(all[name]!)) if (all[d]) visit(d, [...trail, name]);
    state.set(name, 'done');
  };
  for (const name of Object.keys(all)) visit(name, []);
}

function checkService(m: FileModel, s: ServiceConfig, all: Record<string, ServiceConfig>, model: ComposeModel): void {
  const at = (...p: (string | number)[]): DocPath => ['services', s.name, ...p];
  if (!s.image && !s.build)
    throw errorAt(m, at(), `service ${JSON.stringify(s.name)} has neither an image nor a build context specified`);
  for (const n of Object.keys(s.networks ?? {})) {
    if (!model.networks[n])
      throw errorAt(m, at('networks', n), `service ${JSON.stringify(s.name)} refers to undefined network ${n}`);
  }
  if (s.network_mode && s.networks)
    throw errorAt(m, at('network_mode'), 'network_mode and networks cannot be combined');
  if (s.network_mode?.startsWith('service:') && !all[s.network_mode.slice(8)]) {
    throw errorAt(m, at('network_mode'), `service ${JSON.stringify(s.network_mode.slice(8))} not found`);
  }
  (s.volumes ?? []).forEach((v, i) => {
    if (v.type === 'volume' && v.source && !model.volumes[v.source]) {
      throw errorAt(m, at('volumes', i), `service ${JSON.stringify(s.name)} refers to undefined volume ${v.source}`);
    }
  });
  for (const key of ['secrets', 'configs'] as const) {
    (s[key] ?? []).forEach((ref, i) => {
      if (!model[key][ref.source])
        throw errorAt(
          m,
          at(key, i),
          `service ${JSON.stringify(s.name)} refers to undefined ${key.slice(0, -1)} ${ref.source}`,
        );
    });
  }
  for (const [dep, d] of Object.entries(s.depends_on ?? {})) {
    if (!all[dep] && d.required)
      throw errorAt(
        m,
        at('depends_on', dep),
        `service ${JSON.stringify(s.name)} depends on undefined service ${JSON.stringify(dep)}`,
      );
  }
  for (const v of s.volumes_from ?? []) {
    const svc = v.replace(/^service:/, '').split(':')[0]!;
    if (!v.startsWith('container:') && !all[svc])
      throw errorAt(m, at('volumes_from'), `service ${JSON.stringify(svc)} not found`);
  }
  if (s.scale !== undefined && s.deploy?.replicas !== undefined && s.scale !== s.deploy.replicas) {
    throw errorAt(m, at('scale'), `scale (${s.scale}) and deploy.replicas (${s.deploy.replicas}) differ`);
  }
}

/**
 * A project without services: what a project name alone gives (`-p NAME down`
 * without compose files acts on the containers labelled with it).
 */
export function emptyModel(
  name: string,
  workingDir: string,
  env: Record<string, string | undefined> = {},
): ComposeModel {
  return {
    name,
    workingDir,
    configFiles: [],
    environmentFiles: [],
    services: {},
    disabled: {},
    networks: {},
    volumes: {},
    secrets: {},
    configs: {},
    profiles: [],
    allProfiles: [],
    warnings: [],
    extensions: {},
    env,
  };
}

/** Builds the model from the merged files. */
export async function finalise(m: FileModel, meta: Meta): Promise<ComposeModel> {
  const model: ComposeModel = {
    ...emptyModel(meta.name, meta.workingDir, meta.env),
    configFiles: meta.configFiles,
    environmentFiles: meta.environmentFiles,
    profiles: meta.profiles,
    warnings: meta.warnings,
    extensions: m.extensions,
  };
  const all: Record<string, ServiceConfig> = {};
  for (const [name, raw] of Object.entries(m.services).sort(([a], [b]) => a.localeCompare(b))) {
    const { env_file: _f, extends: _e, ...s } = raw;
    const env = await environment(raw, meta.env).catch((err: unknown) => {
      throw errorAt(m, ['services', name, 'env_file'], (err as Error).message);
    });
    if (env) s.environment = env;
    else delete s.environment;
    if (!s.network_mode && !s.networks) s.networks = { default: null };
    all[name] = s;
  }
  const usesDefault = Object.values(all).some((s) => s.networks && 'default' in s.networks);
  const nets = { ...m.networks };
  if (usesDefault && !nets.default) nets.default = {};
  for (const [k, n] of Object.entries(nets))
    model.networks[k] = { ...n, name: n.name ?? (n.external ? k : `${meta.name}_${k}`) };
  for (const [k, v] of Object.entries(m.volumes))
    model.volumes[k] = { ...v, name: v.name ?? (v.external ? k : `${meta.name}_${k}`) };
  for (const key of ['secrets', 'configs'] as const) {
    for (const [k, v] of Object.entries(m[key])) model[key][k] = { ...v, name: v.name ?? `${meta.name}_${k}` };
  }
  for (const s of Object.values(all)) checkService(m, s, all, model);
  checkCycles(m, all);
  const active = new Set(meta.profiles);
  const profiles = new Set<string>();
  for (const [name, s] of Object.entries(all)) {
    for (const p of s.profiles ?? []) profiles.add(p);
    const on = !s.profiles?.length || active.has('*') || s.profiles.some((p) => active.has(p));
    (on ? model.services : model.disabled)[name] = s;
  }
  model.allProfiles = [...profiles].sort();
  if (
    !Object.keys(all).length &&
    !m.includes.length &&
    !Object.keys(m.networks).length &&
    !Object.keys(m.volumes).length
  ) {
    throw invalidArgument(`${meta.configFiles.join(', ')}: no services defined (services must be a mapping)`);
  }
  return model;
}
