/**
 * `loadProject`: compose files → the normalised, validated model, as
 * docker compose v2 reads them (files, merge, include, extends,
 * interpolation, env files, profiles, project name).
 */
import { basename, dirname, resolve } from 'node:path';
import { invalidArgument } from '@tscr/api';
import type { ComposeModel } from '../model.js';
import { defaultEnvFiles, discoverFiles, readEnvFiles, readText } from './files.js';
import type { Lookup } from './interpolate.js';
import { mergeServices, mergeValue } from './merge.js';
import { readComposeFile, type FileModel } from './read-file.js';
import type { RawService } from './service.js';
import { finalise } from './finalise.js';

/** Options of {@link loadProject}. */
export interface LoadOptions {
  /** Compose files in order (`-f`); `-` reads {@link stdin}. Default: `COMPOSE_FILE`, else discovered. */
  files?: string[];
  /** The project directory (`--project-directory`); default: the first file's directory. */
  workingDir?: string;
  /** The shell environment (default `process.env`); it wins over `.env`. */
  env?: Record<string, string | undefined>;
  /** `--env-file`s; default the project directory's `.env` when present. */
  envFiles?: string[];
  /** Active profiles (`--profile`); default `COMPOSE_PROFILES`. `*` enables every profile. */
  profiles?: string[];
  /** `-p`; default `COMPOSE_PROJECT_NAME`, then the files' `name:`, then the directory's name. */
  projectName?: string;
  /** Where relative `-f` paths start and files are looked for; default `process.cwd()`. */
  cwd?: string;
  /** The text of `-f -`. */
  stdin?: () => Promise<string>;
}

const NAME_OK = /^[a-z0-9][a-z0-9_-]*$/;

/** A directory name made a project name as Compose does: lower case, only `a-z0-9_-`, starting with a letter or digit. */
export function normalizeProjectName(s: string): string {
  return s
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, '')
    .replace(/^[_-]+/, '');
}

function mergeModels(into: FileModel, m: FileModel): void {
  for (const [k, s] of Object.entries(m.services)) {
    const base = into.services[k];
    // `!reset` / `!override`: what earlier files gave for the key is dropped first.
    if (base) for (const key of m.resets[k] ?? []) delete (base as unknown as Record<string, unknown>)[key];
    into.services[k] = base ? mergeServices(base, s) : s;
  }
  for (const key of ['networks', 'volumes', 'secrets', 'configs'] as const) {
    into[key] = mergeValue(key, into[key], m[key]) as never;
  }
  if (m.name !== undefined) into.name = m.name;
  into.extensions = mergeValue('', into.extensions, m.extensions) as Record<string, unknown>;
  into.includes.push(...m.includes);
  into.sources.push(...m.sources);
}

function empty(): FileModel {
  return {
    services: {},
    networks: {},
    volumes: {},
    secrets: {},
    configs: {},
    includes: [],
    sources: [],
    resets: {},
    extensions: {},
  };
}

/** Loads, parses and reads files, in order, merged. */
async function readFiles(
  files: { file: string; text?: string }[],
  dir: string,
  lookup: Lookup,
  warnings: string[],
): Promise<FileModel> {
  const out = empty();
  for (const f of files) {
    const text = f.text ?? (await readText(f.file));
    mergeModels(out, readComposeFile(f.file, dir, text, lookup, warnings));
  }
  return out;
}

/** Applies `extends` (same file or another), recursively; cycles are errors. */
async function resolveExtends(m: FileModel, lookup: Lookup, warnings: string[]): Promise<void> {
  const cache = new Map<string, FileModel>();
  const other = async (file: string): Promise<FileModel> => {
    let f = cache.get(file);
    if (!f) {
      f = readComposeFile(file, dirname(file), await readText(file), lookup, warnings);
      cache.set(file, f);
      m.sources.push(...f.sources);
    }
    return f;
  };
  const resolveIn = async (model: FileModel, name: string, seen: string[]): Promise<RawService> => {
    const s = model.services[name];
    if (!s) throw invalidArgument(`cannot extend service ${JSON.stringify(name)}: no such service`);
    if (!s.extends) return s;
    const key = `${s.extends.file ?? ''}#${s.extends.service}`;
    if (seen.includes(key)) throw invalidArgument(`extends cycle: ${[...seen, key].join(' -> ')}`);
    const baseModel = s.extends.file ? await other(s.extends.file) : model;
    if (!baseModel.services[s.extends.service]) {
      const src = m.sources.find((x) => x.has(['services', name, 'extends'])) ?? m.sources[0]!;
      throw src.error(
        ['services', name, 'extends'],
        `service ${JSON.stringify(s.extends.service)} not found${s.extends.file ? ` in ${s.extends.file}` : ''}`,
      );
    }
    const base = await resolveIn(baseModel, s.extends.service, [...seen, key]);
    const { extends: _ignored, ...rest } = s;
    const merged = mergeServices({ ...base, name }, rest);
    delete merged.extends;
    model.services[name] = merged;
    return merged;
  };
  for (const name of Object.keys(m.services)) await resolveIn(m, name, []);
}

/** Applies `include:`: each included project is loaded on its own and its resources added; a clash is an error. */
async function resolveIncludes(
  m: FileModel,
  env: Record<string, string | undefined>,
  warnings: string[],
  depth: number,
): Promise<void> {
  if (depth > 10) throw invalidArgument('include: too deeply nested (a cycle?)');
  for (const inc of m.includes.splice(0)) {
    const dir = inc.projectDirectory ?? dirname(inc.paths[0]!);
    const envFiles = inc.envFiles ?? (await defaultEnvFiles(dir));
    const fileEnv = await readEnvFiles(
      envFiles.map((path) => ({ path, required: true })),
      (n) => env[n],
    );
    const sub: Record<string, string | undefined> = { ...fileEnv, ...env };
    const lookup: Lookup = (n) => sub[n];
    const model = await readFiles(
      inc.paths.map((file) => ({ file })),
      dir,
      lookup,
      warnings,
    );
    await resolveIncludes(model, sub, warnings, depth + 1);
    await resolveExtends(model, lookup, warnings);
    for (const key of ['services', 'networks', 'volumes', 'secrets', 'configs'] as const) {
      for (const [k, v] of Object.entries(model[key])) {
        if (m[key][k] !== undefined) {
          throw invalidArgument(`${key}.${k} conflicts with imported resource from ${inc.paths.join(', ')}`, {
            details: { path: `${key}.${k}` },
          });
        }
        (m[key] as Record<string, unknown>)[k] = v;
      }
    }
    m.sources.push(...model.sources);
  }
}

/**
 * Reads a compose project.
 * @throws NotFound (no compose file, a missing file or required env_file);
 *   InvalidArgument naming file, path (`services.web.ports[1]`) and line for
 *   bad YAML, unknown keys, wrong types, bad values, undefined references,
 *   dependency cycles, unset `${VAR:?…}`; Unimplemented naming a spec key
 *   tscr compose does not honour.
 */
export async function loadProject(opts: LoadOptions = {}): Promise<ComposeModel> {
  const shell = opts.env ?? process.env;
  const cwd = opts.cwd ?? process.cwd();
  const warnings: string[] = [];
  let files = opts.files?.length ? opts.files : undefined;
  if (!files && shell.COMPOSE_FILE)
    files = shell.COMPOSE_FILE.split(shell.COMPOSE_PATH_SEPARATOR ?? ':').filter(Boolean);
  const named = files
    ? files.map((f) => (f === '-' ? '-' : resolve(cwd, f)))
    : await discoverFiles(opts.workingDir ?? cwd);
  const firstReal = named.find((f) => f !== '-');
  const workingDir = resolve(cwd, opts.workingDir ?? (named[0] === '-' || !firstReal ? cwd : dirname(firstReal)));
  const envFiles = opts.envFiles?.length
    ? opts.envFiles.map((f) => resolve(cwd, f))
    : await defaultEnvFiles(workingDir);
  const fileEnv = await readEnvFiles(
    envFiles.map((path) => ({ path, required: true })),
    (n) => shell[n],
  );
  const env: Record<string, string | undefined> = { ...fileEnv, ...shell };
  const lookup: Lookup = (n) => env[n];
  const inputs: { file: string; text?: string }[] = [];
  for (const f of named) {
    if (f !== '-') inputs.push({ file: f });
    else if (!opts.stdin) throw invalidArgument('-f -: no standard input to read the compose file from');
    else inputs.push({ file: '-', text: await opts.stdin() });
  }
  const model = await readFiles(inputs, workingDir, lookup, warnings);
  await resolveIncludes(model, env, warnings, 0);
  await resolveExtends(model, lookup, warnings);
  let name = opts.projectName ?? env.COMPOSE_PROJECT_NAME ?? model.name;
  if (name !== undefined && name !== '' && !NAME_OK.test(name)) {
    throw invalidArgument(
      `invalid project name ${JSON.stringify(name)}: must contain only lowercase letters, decimal digits, dashes, and underscores, and must begin with a lowercase letter or decimal digit`,
    );
  }
  if (!name) name = normalizeProjectName(basename(workingDir));
  if (!name) throw invalidArgument(`project name must not be empty (the directory ${workingDir} gives none): use -p`);
  const profiles = opts.profiles?.length
    ? opts.profiles
    : (env.COMPOSE_PROFILES ?? '')
        .split(',')
        .map((p) => p.trim())
        .filter(Boolean);
  return finalise(model, { name, workingDir, configFiles: named, environmentFiles: envFiles, profiles, env, warnings });
}
