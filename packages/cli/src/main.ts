/**
 * The `tscr` bin (dist/main.cjs): loads the bundled CLI (dist/cli.cjs) with a
 * V8 code cache so repeated runs skip compiling it. Node 22.1+ has this built
 * in (`module.enableCompileCache`); on Node 20 the cache is kept by hand in
 * `$XDG_CACHE_HOME/tscr` (default `~/.cache/tscr`), one file per Node version.
 * `TSCR_NO_COMPILE_CACHE=1` loads the bundle plainly. Only node builtins here.
 */
import { mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { Script } from 'node:vm';

const bundle = join(__dirname, 'cli.cjs');

/**
 * One cache file per bundle build and Node build: V8 itself only checks the
 * source length, so a rebuilt bundle must never meet an old cache. The bundle's
 * inode, size and mtime name the build (hashing 1 MB of source on every start
 * cost more than the rest of this loader).
 */
function cachePath(): string {
  const base = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  const st = statSync(bundle, { bigint: true });
  const build = `${st.ino.toString(36)}-${st.size.toString(36)}-${st.mtimeNs.toString(36)}`;
  return join(base, 'tscr', `cli-${process.version}-${process.arch}-${build}.v8cache`);
}

function saveCache(file: string, data: Buffer): void {
  try {
    const dir = dirname(file);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    for (const old of readdirSync(dir)) if (old.startsWith('cli-')) rmSync(join(dir, old), { force: true });
    const tmp = `${file}.${process.pid}`;
    writeFileSync(tmp, data, { mode: 0o600 });
    renameSync(tmp, file);
  } catch {
    // A cache is an optimisation: an unwritable home just means no cache.
  }
}

/** Runs the bundle as a CommonJS module compiled with cached code when V8 accepts it. */
function loadWithCodeCache(): void {
  const source = readFileSync(bundle, 'utf8').replace(/^#!/, '//');
  const file = cachePath();
  let cached: Buffer | undefined;
  try {
    cached = readFileSync(file);
  } catch {
    cached = undefined;
  }
  const script = new Script(Module.wrap(source), { filename: bundle, ...(cached && { cachedData: cached }) });
  if (cached === undefined || script.cachedDataRejected) {
    // Made at exit, so it also holds the functions this run compiled lazily.
    process.once('exit', () => saveCache(file, script.createCachedData()));
  }
  const mod = { exports: {}, filename: bundle, id: bundle, loaded: false };
  const run = script.runInThisContext() as (...args: unknown[]) => void;
  run.call(mod.exports, mod.exports, createRequire(bundle), mod, bundle, dirname(bundle));
}

const builtin = (Module as { enableCompileCache?: () => unknown }).enableCompileCache;
if (process.env.TSCR_NO_COMPILE_CACHE === '1') {
  require(bundle);
} else if (builtin) {
  builtin();
  require(bundle);
} else {
  loadWithCodeCache();
}
