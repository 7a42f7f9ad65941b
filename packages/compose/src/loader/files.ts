/**
 * Which compose files a project reads and the environment it interpolates
 * with, as docker compose v2 decides them: `-f` (repeatable, `-` for stdin),
 * else `COMPOSE_FILE`, else `compose.yaml` / `compose.yml` /
 * `docker-compose.yaml` / `docker-compose.yml` in the project directory or
 * the nearest parent, with its `.override` file; `.env` of the project
 * directory, or the `--env-file` files, under the shell's environment.
 */
import { readFile, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fromSystemError, invalidArgument, notFound } from '@tscr/api';
import { DotenvError, parseDotenv } from './dotenv.js';

const CANDIDATES = ['compose.yaml', 'compose.yml', 'docker-compose.yaml', 'docker-compose.yml'];

async function exists(p: string): Promise<boolean> {
  return stat(p).then(
    (s) => s.isFile(),
    () => false,
  );
}

/**
 * The default files of `dir` (or its nearest parent that has one): the
 * first candidate found, then its override file when there is one.
 * @throws NotFound when no directory up to the root has a compose file.
 */
export async function discoverFiles(dir: string): Promise<string[]> {
  for (let d = resolve(dir); ; d = dirname(d)) {
    for (const name of CANDIDATES) {
      const file = join(d, name);
      if (!(await exists(file))) continue;
      const ext = name.slice(name.lastIndexOf('.'));
      const base = name.slice(0, name.lastIndexOf('.'));
      const overrides = [`${base}.override${ext}`, `${base}.override${ext === '.yml' ? '.yaml' : '.yml'}`];
      for (const o of overrides) if (await exists(join(d, o))) return [file, join(d, o)];
      return [file];
    }
    if (dirname(d) === d) break;
  }
  throw notFound(
    `no configuration file provided: not found (looked for ${CANDIDATES.join(', ')} in ${resolve(dir)} and its parents)`,
  );
}

/** Reads one file's text. @throws NotFound / PermissionDenied naming it. */
export async function readText(file: string): Promise<string> {
  return readFile(file, 'utf8').catch((err: unknown) => {
    throw fromSystemError(err, `cannot read compose file ${file}`);
  });
}

/**
 * Reads env files into one record, each after the ones before it;
 * `lookup` (the shell) serves `${VAR}` inside them and `KEY` lines.
 * @throws NotFound (a `required` file missing); InvalidArgument naming the file and line.
 */
export async function readEnvFiles(
  files: readonly { path: string; required: boolean }[],
  lookup: (n: string) => string | undefined,
): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const f of files) {
    let text: string;
    try {
      text = await readFile(f.path, 'utf8');
    } catch (err) {
      if (!f.required && (err as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw fromSystemError(err, `cannot read env file ${f.path}`);
    }
    try {
      Object.assign(
        out,
        parseDotenv(text, (n) => out[n] ?? lookup(n)),
      );
    } catch (err) {
      if (err instanceof DotenvError) {
        throw invalidArgument(`${f.path}:${err.line}: ${err.message}`, {
          details: { file: f.path, line: String(err.line) },
        });
      }
      throw invalidArgument(`${f.path}: ${(err as Error).message}`, { details: { file: f.path } });
    }
  }
  return out;
}

/** The project's `.env` file when it has one (the default when no `--env-file` is given). */
export async function defaultEnvFiles(projectDir: string): Promise<string[]> {
  const f = join(projectDir, '.env');
  return (await exists(f)) ? [f] : [];
}
