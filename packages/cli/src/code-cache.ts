/**
 * Naming and writing the bin's V8 code cache (see main.ts): one file per Node
 * build, bundle path, bundle build and command word. Only node builtins here.
 */
import { mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Global flags that take a value: their values are not command words (a unit test checks these against global-flags.ts). */
export const VALUE_FLAGS: ReadonlySet<string> = new Set([
  '-H',
  '--host',
  '-c',
  '--context',
  '--tlscacert',
  '--tlscert',
  '--tlskey',
]);

/** The command word of this run (`ps`, `run`, …): each gets its own cache. */
export function commandKey(argv: readonly string[]): string {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (VALUE_FLAGS.has(a)) i++;
    else if (/^[a-z][a-z0-9-]{0,19}$/.test(a)) return a;
    else if (!a.startsWith('-')) break;
  }
  return 'none';
}

/** A short, stable name for the bundle's path, so installs in other places keep their own caches. */
function pathTag(path: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < path.length; i++) h = Math.imul(h ^ path.charCodeAt(i), 0x01000193);
  return (h >>> 0).toString(36);
}

/** A cache file another install left that nothing has used for this long is removed. */
const FOREIGN_MAX_AGE_MS = 7 * 24 * 3600 * 1000;

/** Where this run's cache lives, and the name prefixes that tell its siblings apart. */
export interface CacheName {
  dir: string;
  file: string;
  /** Start of every file name of this bundle at this path (any build, any command). */
  mine: string;
  /** Start of every file name of this bundle build. */
  build: string;
}

/**
 * `word` is the run's command word ({@link commandKey}).
 * V8 itself only checks the source length, so a rebuilt bundle must never meet
 * an old cache: the bundle's inode, size and mtime name the build (hashing 1 MB
 * of source on every start cost more than the rest of this loader).
 */
export function cacheName(bundle: string, word: string): CacheName {
  // os.homedir() reads $HOME first too; `node:os` (~0.3 ms) is loaded only when HOME is unset.
  const home = process.env.HOME || (require('node:os') as typeof import('node:os')).homedir();
  const base = process.env.XDG_CACHE_HOME || join(home, '.cache');
  const st = statSync(bundle, { bigint: true });
  const build = `${st.ino.toString(36)}-${st.size.toString(36)}-${st.mtimeNs.toString(36)}`;
  const mine = `cli-${process.version}-${process.arch}-${pathTag(bundle)}-`;
  const dir = join(base, 'tscr');
  return {
    dir,
    file: join(dir, `${mine}${build}-${word}.v8cache`),
    mine,
    build: `${mine}${build}-`,
  };
}

/** Writes the cache; drops this bundle's caches of other builds and long-unused ones of other installs. */
export function saveCache(name: CacheName, data: Buffer): void {
  try {
    mkdirSync(name.dir, { recursive: true, mode: 0o700 });
    const now = Date.now();
    for (const old of readdirSync(name.dir)) {
      if (!old.startsWith('cli-') || old.startsWith(name.build)) continue;
      const path = join(name.dir, old);
      if (old.startsWith(name.mine) || now - statSync(path).mtimeMs > FOREIGN_MAX_AGE_MS) rmSync(path, { force: true });
    }
    const tmp = `${name.file}.${process.pid}`;
    writeFileSync(tmp, data, { mode: 0o600 });
    renameSync(tmp, name.file);
  } catch {
    // A cache is an optimisation: an unwritable home just means no cache.
  }
}
