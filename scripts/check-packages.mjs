#!/usr/bin/env node
// Checks every publishable package's manifest (run by `npm run lint`):
// - entry points by role: "." and, where the sources have them, "./local" and "./grpc", each with nested
//   import/require conditions whose own `types` (.d.ts / .d.cts) come first, `typesVersions` for node10;
// - publishable: publishConfig.access public, engines.node, an explicit `files` list, a README;
// - dependencies are exactly the bare packages its src/ imports (none unused, none missing);
// - the CLI depends on no package's local implementation and not on the daemon.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const problems = [];
const say = (pkg, msg) => problems.push(`${pkg}: ${msg}`);

function sources(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? sources(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** The bare packages a file imports (`@scope/name` or `name`), type-only imports included. */
function importedPackages(file) {
  // Comments out first (they quote words like "empty" after `from`).
  const text = readFileSync(file, 'utf8')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/^\s*\/\/.*$/gm, '');
  const out = new Set();
  const specifiers = /(?:\bfrom\s+|\bimport\s*\(\s*|^import\s+|\brequire\(\s*)['"]([@a-z0-9][\w./@-]*)['"]/gm;
  for (const m of text.matchAll(specifiers)) {
    const spec = m[1];
    if (spec.startsWith('node:') || builtinModules.includes(spec.split('/')[0])) continue;
    const parts = spec.split('/');
    out.add(spec.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]);
  }
  return out;
}

function checkEntry(pkg, manifest, sub, dist) {
  const entry = manifest.exports?.[sub === '.' ? '.' : `./${sub}`];
  if (!entry) return say(pkg, `exports has no "${sub === '.' ? '.' : `./${sub}`}"`);
  const base = sub === '.' ? 'index' : `${sub}/index`;
  const want = {
    import: { types: `./${dist}/${base}.d.ts`, default: `./${dist}/${base}.js` },
    require: { types: `./${dist}/${base}.d.cts`, default: `./${dist}/${base}.cjs` },
  };
  if (JSON.stringify(entry) !== JSON.stringify(want))
    say(pkg, `exports["${sub}"] should be ${JSON.stringify(want)} (types first, per condition)`);
  if (sub !== '.' && JSON.stringify(manifest.typesVersions?.['*']?.[sub]) !== JSON.stringify([`./${dist}/${base}.d.cts`]))
    say(pkg, `typesVersions["*"]["${sub}"] should point at ./${dist}/${base}.d.cts (node10)`);
}

for (const name of readdirSync(join(root, 'packages')).sort()) {
  const dir = join(root, 'packages', name);
  const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  const pkg = manifest.name;
  if (manifest.private) continue;
  if (manifest.publishConfig?.access !== 'public') say(pkg, 'publishConfig.access must be "public" (scoped packages default to restricted)');
  if (!manifest.engines?.node) say(pkg, 'engines.node is missing');
  if (!Array.isArray(manifest.files) || manifest.files.length === 0) say(pkg, 'files must list what is published');
  if (!existsSync(join(dir, 'README.md'))) say(pkg, 'README.md is missing');
  if (!manifest.license) say(pkg, 'license is missing');
  const src = join(dir, 'src');
  if (!existsSync(src)) continue; // a prebuilt-binary package (@tscr/relay-*)
  const subpaths = Object.keys(manifest.exports ?? {})
    .filter((k) => k.startsWith('./') && k !== './package.json')
    .map((k) => k.slice(2));
  for (const sub of new Set(['.', 'local', 'grpc', ...subpaths])) {
    const has = sub === '.' || existsSync(join(src, sub, 'index.ts'));
    const declared = manifest.exports?.[sub === '.' ? '.' : `./${sub}`];
    if (has) checkEntry(pkg, manifest, sub, 'dist');
    else if (declared) say(pkg, `exports "./${sub}" has no src/${sub}/index.ts`);
  }
  if (manifest.exports?.['./package.json'] !== './package.json') say(pkg, 'exports should offer "./package.json"');
  if (manifest.types !== './dist/index.d.cts') say(pkg, 'types should be ./dist/index.d.cts (node10 loads main, the CJS build)');

  const used = new Set();
  // The generated code (api's gen/) is compiled into the package as well.
  for (const f of [...sources(src), ...sources(join(dir, 'gen'))]) for (const p of importedPackages(f)) used.add(p);
  used.delete(pkg); // self-references by name
  const declared = new Set([
    ...Object.keys(manifest.dependencies ?? {}),
    ...Object.keys(manifest.optionalDependencies ?? {}),
    ...Object.keys(manifest.peerDependencies ?? {}),
  ]);
  for (const d of declared) if (!used.has(d) && !d.startsWith('@tscr/relay-')) say(pkg, `dependency ${d} is not imported by src/`);
  for (const u of used) if (!declared.has(u)) say(pkg, `src/ imports ${u}, which is not a dependency`);
  if (name === 'cli') {
    if (declared.has('@tscr/daemon')) say(pkg, 'the CLI must not depend on @tscr/daemon (the System service is in @tscr/api)');
    for (const f of sources(src))
      if (/['"]@tscr\/[a-z-]+\/local['"]/.test(readFileSync(f, 'utf8'))) say(pkg, `${f} imports a local implementation`);
  }
}

if (problems.length) {
  console.error(`check-packages: ${problems.length} problem(s)\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
console.log('check-packages: every package manifest is publishable and its dependencies are what it imports');
