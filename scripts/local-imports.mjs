#!/usr/bin/env node
// Moves imports of names that live in a package's "./local" entry from `@tscr/<pkg>` to
// `@tscr/<pkg>/local` (and, in a package's own tests, from `…/src/index.js` to `…/src/local/index.js`).
// For code written before the entry points were split by role (a branch to merge, an example):
//   node scripts/local-imports.mjs [files or directories…]   (default: packages examples bench)
// Then `npm run format`. Prints the files it changed.
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;

/** The names a module exports (`export { a, b as c }`, `export type { … }`). */
function exported(path) {
  const names = new Set();
  for (const m of readFileSync(path, 'utf8').matchAll(/export\s+(?:type\s+)?\{([^}]*)\}/g))
    for (const n of m[1].split(',').map((x) => x.trim()).filter(Boolean))
      names.add(n.replace(/^type\s+/, '').split(/\s+as\s+/).pop().trim());
  return names;
}

const local = new Map();
for (const pkg of readdirSync(join(root, 'packages'))) {
  const index = join(root, 'packages', pkg, 'src', 'local', 'index.ts');
  if (existsSync(index)) local.set(pkg, exported(index));
}

/** Splits one import statement's names into the ones that stay and the ones that moved. */
function split(names, moved) {
  const keep = [];
  const move = [];
  for (const item of names.split(',').map((x) => x.trim()).filter(Boolean)) {
    const name = item.replace(/^type\s+/, '').split(/\s+as\s+/)[0].trim();
    (moved.has(name) ? move : keep).push(item);
  }
  return { keep, move };
}

function rewrite(file) {
  const text = readFileSync(file, 'utf8');
  const own = relative(join(root, 'packages'), file).split('/')[0];
  let out = text.replace(/import\s+(type\s+)?\{([^}]*)\}\s+from\s+'@tscr\/([a-z-]+)';\n/g, (all, t = '', names, pkg) => {
    const moved = local.get(pkg);
    if (!moved) return all;
    const { keep, move } = split(names, moved);
    if (move.length === 0) return all;
    return (
      (keep.length ? `import ${t}{ ${keep.join(', ')} } from '@tscr/${pkg}';\n` : '') +
      `import ${t}{ ${move.join(', ')} } from '@tscr/${pkg}/local';\n`
    );
  });
  const ownMoved = local.get(own);
  if (ownMoved && file.includes('/test/'))
    out = out.replace(/import\s+(type\s+)?\{([^}]*)\}\s+from\s+'((?:\.\.\/)+)src\/index\.js';\n/g, (all, t = '', names, up) => {
      const { keep, move } = split(names, ownMoved);
      if (move.length === 0) return all;
      return (
        (keep.length ? `import ${t}{ ${keep.join(', ')} } from '${up}src/index.js';\n` : '') +
        `import ${t}{ ${move.join(', ')} } from '${up}src/local/index.js';\n`
      );
    });
  if (out !== text) {
    writeFileSync(file, out);
    console.log(relative(root, file));
  }
}

function walk(path) {
  if (path.includes('node_modules') || path.endsWith('/dist')) return;
  if (statSync(path).isDirectory()) for (const n of readdirSync(path)) walk(join(path, n));
  else if (/\.(ts|mts|mjs)$/.test(path) && !/\/src\/(local\/)?index\.ts$/.test(path)) rewrite(path);
}

const args = process.argv.slice(2);
for (const a of args.length ? args : ['packages', 'examples', 'bench']) walk(join(root, a));
