// Where a `tscr` command's CPU time goes: runs the CLI under `node --cpu-prof` several times and sums the
// samples by package (the deepest frame of the CLI bundle on each sample's stack, mapped through the
// bundle's source map), plus V8's own buckets (program = parsing/compiling, GC, idle = waiting on I/O).
// Without --dir it builds the bin with a source map into a temporary directory first (TSCR_CLI_PROFILE_OUT, see
// packages/cli/tsup.config.ts). Code caches go to a temporary XDG_CACHE_HOME, warmed by one run first.
// `--files` sums by source file (and the node builtin a bundle frame called into) instead of by package.
// Usage: node bench/cli-profile.mjs [--runs N] [--dir DIST] [--files] -- ARGS...   (a DIST needs its cli*.cjs + maps)
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const argv = process.argv.slice(2);
const sep = argv.indexOf('--');
const opts = argv.slice(0, sep < 0 ? argv.length : sep);
const args = sep < 0 ? [] : argv.slice(sep + 1);
const opt = (name, dflt) => (opts.includes(name) ? opts[opts.indexOf(name) + 1] : dflt);
const runs = Number(opt('--runs', '10'));
const byFile = opts.includes('--files');
const dir = mkdtempSync(join(tmpdir(), 'tscr-cli-profile-'));
const profiles = join(dir, 'profiles');
const env = { ...process.env, XDG_CACHE_HOME: join(dir, 'cache') };
let dist = opt('--dir', undefined);
if (dist === undefined) {
  dist = join(dir, 'dist');
  execFileSync('npx', ['tsup'], { cwd: 'packages/cli', env: { ...env, TSCR_CLI_PROFILE_OUT: dist }, stdio: 'ignore' });
}
// The whole CLI (cli.cjs) and the lean bundles (cli-NAME.cjs) the bin runs for some command words.
const maps = new Map();
const mapOf = (url) => {
  const file = join(dist, url.slice(url.lastIndexOf('/') + 1));
  if (!maps.has(file)) maps.set(file, new SourceMap(JSON.parse(readFileSync(`${file}.map`, 'utf8'))));
  return maps.get(file);
};

/** A package-level name for a source path of the bundle. */
function group(source) {
  const nm = /node_modules\/((@[^/]+\/)?[^/]+)/.exec(source);
  if (nm) return nm[1];
  const pkg = /packages\/([^/]+)\/(gen|src)\/(.*)$/.exec(source) ?? /^(?:\.\.\/)?()(src)\/(.*)$/.exec(source);
  if (!pkg) return source;
  const name = pkg[1] || 'cli';
  if (pkg[2] === 'gen') return `@tscr/${name} gen (ts-proto)`;
  if (name === 'cli') return pkg[3].startsWith('commands/') ? '@tscr/cli commands' : '@tscr/cli core';
  return `@tscr/${name}`;
}

try {
  execFileSync(process.execPath, [join(dist, 'main.cjs'), ...args], { stdio: 'ignore', env }); // warm the code cache
  for (let i = 0; i < runs; i++) {
    execFileSync(process.execPath, ['--cpu-prof', '--cpu-prof-dir', profiles, join(dist, 'main.cjs'), ...args], {
      stdio: 'ignore',
      env,
    });
  }
  const totals = new Map();
  let all = 0;
  for (const f of readdirSync(profiles)) {
    const p = JSON.parse(readFileSync(join(profiles, f), 'utf8'));
    const node = new Map(p.nodes.map((n) => [n.id, n]));
    const parent = new Map();
    for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
    const owner = new Map();
    const ownerOf = (id) => {
      if (owner.has(id)) return owner.get(id);
      const { callFrame: cf } = node.get(id);
      let k;
      if (/\/cli(-[a-z]+)?\.cjs$/.test(cf.url)) {
        const e = mapOf(cf.url).findEntry(cf.lineNumber, cf.columnNumber);
        k = e?.originalSource
          ? byFile
            ? e.originalSource.replace(/^.*node_modules\//, '')
            : group(e.originalSource)
          : '(bundle)';
      } else if (cf.url.endsWith('/main.cjs')) k = 'bin loader (read + compile bundle, code cache)';
      else if (['(program)', '(garbage collector)', '(idle)', '(root)'].includes(cf.functionName)) k = cf.functionName;
      else {
        const up = parent.has(id) ? ownerOf(parent.get(id)) : '(root)';
        k =
          up === '(root)'
            ? 'node bootstrap / exit'
            : byFile && cf.url.startsWith('node:') && !up.includes(' > ')
              ? `${up} > ${cf.url}`
              : up;
      }
      owner.set(id, k);
      return k;
    };
    p.samples.forEach((s, i) => {
      const ms = (p.timeDeltas[i] ?? 0) / 1000;
      totals.set(ownerOf(s), (totals.get(ownerOf(s)) ?? 0) + ms);
      all += ms;
    });
  }
  console.log(`tscr ${args.join(' ')}: CPU profile, mean of ${runs} runs (profiling adds overhead)`);
  for (const [k, v] of [...totals].sort((a, b) => b[1] - a[1])) {
    if (v / runs >= 0.2) console.log(`${(v / runs).toFixed(1).padStart(7)} ms  ${k}`);
  }
  console.log(`${(all / runs).toFixed(1).padStart(7)} ms  total sampled`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
