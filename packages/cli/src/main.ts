/**
 * The `tscr` bin (dist/main.cjs): loads the bundled CLI (dist/cli.cjs, or the
 * lean bundle of the run's command word, see lean-bundles.ts) with a
 * V8 code cache so repeated runs skip compiling it. The cache is kept by hand
 * in `$XDG_CACHE_HOME/tscr` (default `~/.cache/tscr`): one file per Node build,
 * bundle build and command word, because a cache holds the functions the run
 * that wrote it compiled, and `tscr ps` needs other functions than `tscr run`.
 * `TSCR_NO_COMPILE_CACHE=1` loads the bundle plainly; `TSCR_STARTUP_TRACE=1`
 * prints where the start-up time went (see startup-trace.ts). Only node builtins here.
 */
import { readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { Script } from 'node:vm';
import { cacheName, commandKey, saveCache } from './code-cache.js';
import { leanBundleFor } from './lean-bundles.js';
import { startTrace } from './startup-trace.js';

if (process.env.TSCR_STARTUP_TRACE === '1') startTrace();
const mark = (globalThis as { __tscrMark?: (name: string) => void }).__tscrMark;
mark?.('bin started');

const argv = process.argv.slice(2);
const word = commandKey(argv);
const bundle = join(__dirname, leanBundleFor(word) ?? 'cli.cjs');

/**
 * Runs the bundle as a CommonJS module (the build wrote it wrapped in its function, see bundle-wrap.ts),
 * compiled with cached code when V8 accepts it (unless `useCache` is false).
 */
function load(useCache: boolean): void {
  // The build keeps the bundle ASCII (tsup.config.ts): latin1 is a plain copy, UTF-8 decoding is not.
  const source = readFileSync(bundle, 'latin1');
  const name = useCache ? cacheName(bundle, word) : undefined;
  let cached: Buffer | undefined;
  try {
    cached = name && readFileSync(name.file);
  } catch {
    cached = undefined;
  }
  const script = new Script(source, { filename: bundle, ...(cached && { cachedData: cached }) });
  mark?.(`${basename(bundle)} compiled (${cached && !script.cachedDataRejected ? 'code cache hit' : 'no cache'})`);
  if (name && (cached === undefined || script.cachedDataRejected)) {
    // Made at exit, so it also holds the functions this run compiled lazily.
    process.once('exit', () => saveCache(name, script.createCachedData()));
  }
  const mod = { exports: {}, filename: bundle, id: bundle, loaded: false };
  const run = script.runInThisContext() as (...args: unknown[]) => void;
  // The bin's own require: it sits next to the bundle, so it resolves what the bundle asks for (builtins,
  // ./grpc-js.cjs) as the bundle's own would.
  run.call(mod.exports, mod.exports, require, mod, bundle, dirname(bundle));
}

load(process.env.TSCR_NO_COMPILE_CACHE !== '1');
