// Declarations of @tscr/api, emitted file by file (not bundled): the generated proto modules are
// namespaces whose messages are both an interface and a value, and a bundled .d.ts keeps only the
// value half. tsc writes dist/types/**.d.ts; this script then makes the specifiers resolvable under
// node16/nodenext (relative ones get an extension, `protobufjs/minimal` its file name) and writes a
// CommonJS twin of every file (.d.cts, importing .cjs) next to it, plus the entry files the
// package's `exports` name.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const pkg = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(pkg, 'dist', 'types');
rmSync(out, { recursive: true, force: true });
execFileSync(process.execPath, [join(pkg, '..', '..', 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.types.json'], {
  cwd: pkg,
  stdio: 'inherit',
});

const specifier = /(\bfrom\s+|\bimport\s*\(\s*|\bimport\s+)(["'])([^"']+)\2/g;

function fix(spec, ext) {
  if (spec === 'protobufjs/minimal') return 'protobufjs/minimal.js';
  if (!spec.startsWith('.')) return spec;
  const bare = spec.replace(/\.js$/, '');
  return `${bare}${ext}`;
}

function walk(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) walk(path);
    else if (entry.name.endsWith('.d.ts')) {
      const text = readFileSync(path, 'utf8');
      const rewrite = (ext) => text.replace(specifier, (_m, pre, q, spec) => `${pre}${q}${fix(spec, ext)}${q}`);
      writeFileSync(path, rewrite('.js'));
      writeFileSync(path.replace(/\.d\.ts$/, '.d.cts'), rewrite('.cjs'));
    }
  }
}
walk(out);

for (const [entry, source] of [
  ['index', 'src/index'],
  ['grpc/index', 'src/grpc/index'],
  ['cri/index', 'src/cri/index'],
]) {
  const up = entry.includes('/') ? '../' : './';
  writeFileSync(join(pkg, 'dist', `${entry}.d.ts`), `export * from '${up}types/${source}.js';\n`);
  writeFileSync(join(pkg, 'dist', `${entry}.d.cts`), `export * from '${up}types/${source}.cjs';\n`);
}
