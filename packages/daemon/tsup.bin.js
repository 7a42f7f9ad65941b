// The `tscrd` bin as few files as possible (see tsup.config.ts): the daemon's sources with every @tscr package's
// built CommonJS, grpc-js, protobufjs and better-sqlite3's JavaScript inlined, so Node resolves and reads a dozen
// files at start-up instead of ~120: the module loader's path functions were hot enough for TurboFan to compile
// them, and the first TurboFan compile faults in ~3.5 MiB of the node binary's code (bench/README.md, Idle RSS).
// What is loaded on first use stays so: the daemon's `await import()`s are chunks of their own (dist/tscrd-*.cjs),
// `@tscr/api/grpc`'s generated namespaces entries of their own (dist/tscrd-gen-*.cjs), and `tar` is required from
// the package that imports it, as that package's own build would. Library users load the unbundled entries.
import { readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join, relative, sep } from 'node:path';

const require = createRequire(import.meta.url);

/** `@tscr/api/grpc`'s generated namespaces, which its CommonJS build requires on first use, each from its own file. */
const GEN_DIR = join(dirname(require.resolve('@tscr/api/package.json')), 'dist', 'grpc', 'gen');

/**
 * The bin's entries besides `main`: one per generated namespace (dist/tscrd-gen-NAME.cjs), so each stays a file
 * of its own loaded on first use, sharing grpc-js and protobufjs with the rest of the bundle.
 */
export function genEntries() {
  const files = readdirSync(GEN_DIR).filter((f) => f.endsWith('.cjs'));
  return Object.fromEntries(files.map((f) => [`tscrd-gen-${basename(f, '.cjs')}`, join(GEN_DIR, f)]));
}

/** Third-party packages left out of the bundle (loaded on first use), required from the package that imports them. */
const EXTERNAL = /^tar(\/|$)/;

/**
 * better-sqlite3 finds its addon with `bindings`, which looks next to the file that calls it (here: the bundle);
 * bundled, it is given the addon where its own install put it, and else asks `bindings` with its module root.
 */
const SQLITE_BINDINGS = `const { dirname, join } = require('node:path');
const root = dirname(require.resolve('better-sqlite3/package.json'));
module.exports = (name) => {
  try {
    return require(join(root, 'build', 'Release', name));
  } catch (err) {
    if (err.code !== 'MODULE_NOT_FOUND') throw err;
    return require(require.resolve('bindings', { paths: [root] }))({ bindings: name, module_root: root });
  }
};`;

/**
 * Node builtins the packages' builds require at their top but use only inside functions, by property (`new
 * w.Worker()`): required by the bin when first used. An idle daemon starts no worker thread (the monitor spawner,
 * the layer unpacker).
 */
const LAZY_BUILTIN = /^(node:)?worker_threads$/;

/** A module whose exports are those of builtin `name`, required on the first access. */
const lazyBuiltin = (name) => `let loaded;
const load = () => (loaded ??= require(${JSON.stringify(`node:${name}`)}));
module.exports = new Proxy({}, {
  get: (_, key) => load()[key],
  has: (_, key) => key in load(),
  ownKeys: () => Reflect.ownKeys(load()),
  getOwnPropertyDescriptor(_, key) {
    const descriptor = Reflect.getOwnPropertyDescriptor(load(), key);
    return descriptor && { ...descriptor, configurable: true };
  },
});`;

/** The package root and name of a file inside a @tscr package's folder, or undefined. */
function ownerOf(file) {
  let dir = dirname(file);
  for (;;) {
    try {
      const manifest = require(join(dir, 'package.json'));
      return manifest.name?.startsWith('@tscr/') ? { root: dir, name: manifest.name } : undefined;
    } catch {
      const up = dirname(dir);
      if (up === dir) return undefined;
      dir = up;
    }
  }
}

/** The export names of a CommonJS file built by tsup (esbuild annotates them at its end, for Node's ESM import). */
function exportNames(code, file) {
  const list = /\n0 && \(module\.exports = \{([^}]*)\}\);/.exec(code)?.[1];
  if (list === undefined) throw new Error(`${file}: no export names annotated`);
  return list
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);
}

/**
 * Where an installed package lies, found along the bundle's node_modules lookup paths: `require.resolve` of
 * `NAME/package.json` would go through the package's `exports`, whose resolver (Node's ESM one) is ~0.5 MiB of
 * builtins an idle daemon otherwise never loads.
 */
const PACKAGE_DIR = `const { join } = require('node:path');
const { existsSync, realpathSync } = require('node:fs');
module.exports = (name) => {
  const dir = (require.resolve.paths(name) ?? []).map((d) => join(d, name)).find((d) => existsSync(join(d, 'package.json')));
  return dir ? realpathSync(dir) : require('node:path').dirname(require.resolve(name + '/package.json'));
};`;

/** JavaScript for "this path inside package NAME, wherever it is installed". */
const inPackage = (name, path) =>
  `require('node:path').join(require('tscrd-package-dir')(${JSON.stringify(name)}), ${JSON.stringify(path.split(sep).join('/'))})`;

/** The esbuild plugin that makes the bin bundle (tsup.config.ts). */
export const binBundle = {
  name: 'tscrd-bin-bundle',
  setup(build) {
    build.onResolve({ filter: /^bindings$/ }, (args) =>
      args.importer.includes(`${sep}better-sqlite3${sep}`) ? { path: 'bindings', namespace: 'tscrd-sqlite' } : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: 'tscrd-sqlite' }, () => ({ contents: SQLITE_BINDINGS, loader: 'js' }));
    build.onResolve({ filter: /^tscrd-package-dir$/ }, () => ({ path: 'package-dir', namespace: 'tscrd-package-dir' }));
    build.onLoad({ filter: /.*/, namespace: 'tscrd-package-dir' }, () => ({ contents: PACKAGE_DIR, loader: 'js' }));
    build.onResolve({ filter: LAZY_BUILTIN }, (args) =>
      args.kind === 'require-call' && ownerOf(args.importer) && args.importer.includes(`${sep}dist${sep}`)
        ? { path: args.path.replace(/^node:/, ''), namespace: 'tscrd-lazy-builtin' }
        : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: 'tscrd-lazy-builtin' }, (args) => ({
      contents: lazyBuiltin(args.path),
      loader: 'js',
    }));
    // @tscr/* -> the file Node itself would load (each package's CommonJS build), so the bundle holds the same
    // code as the unbundled packages, their lazy parts included. A dynamic import of one (a part loaded on first
    // use) goes through a module naming its exports: esbuild's chunk of a CommonJS module exports only `default`.
    build.onResolve({ filter: /^@tscr\// }, (args) => ({
      path: require.resolve(args.path, { paths: [args.resolveDir] }),
      ...(args.kind === 'dynamic-import' && { namespace: 'tscrd-lazy' }),
    }));
    build.onLoad({ filter: /.*/, namespace: 'tscrd-lazy' }, async (args) => {
      const { readFile } = await import('node:fs/promises');
      const names = exportNames(await readFile(args.path, 'utf8'), args.path);
      return {
        contents: `import * as m from ${JSON.stringify(args.path)};\nexport const { ${names.join(', ')} } = m;`,
        loader: 'js',
        resolveDir: dirname(args.path),
      };
    });
    // A third-party package left out: required at run time from the package that imports it.
    build.onResolve({ filter: EXTERNAL }, (args) => {
      const owner = ownerOf(args.importer);
      if (!owner || owner.name === '@tscr/daemon') return { path: args.path, external: true };
      return { path: `${owner.name}|${args.path}`, namespace: 'tscrd-external' };
    });
    build.onLoad({ filter: /.*/, namespace: 'tscrd-external' }, (args) => {
      const [name, spec] = args.path.split('|');
      return {
        contents: `module.exports = require(require.resolve(${JSON.stringify(spec)}, { paths: [${inPackage(name, '.')}] }));`,
        loader: 'js',
      };
    });
    // A generated namespace `@tscr/api/grpc` requires on first use: that namespace's own entry of the bin.
    build.onResolve({ filter: /^\.\/gen\/\w+\.cjs$/ }, (args) =>
      dirname(args.importer) === dirname(GEN_DIR)
        ? { path: `tscrd-gen-${basename(args.path, '.cjs')}`, namespace: 'tscrd-gen' }
        : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: 'tscrd-gen' }, (args) => ({
      contents: `module.exports = require('./${args.path}.cjs').default;`,
      loader: 'js',
    }));
    build.onResolve({ filter: /^\.\/tscrd-gen-\w+\.cjs$/ }, (args) => ({ path: args.path, external: true }));
    // A built file that finds things next to itself (the relay binary, the unpack worker's script, `tar`) sees
    // its own path, not the bundle's.
    build.onLoad({ filter: /[\\/]dist[\\/].*\.cjs$/ }, async (args) => {
      const owner = ownerOf(args.path);
      if (!owner) return undefined;
      const { readFile } = await import('node:fs/promises');
      const code = await readFile(args.path, 'utf8');
      if (!/__filename|__dirname/.test(code)) return { contents: code, loader: 'js' };
      const self = inPackage(owner.name, relative(owner.root, args.path));
      return {
        contents: `var __filename = ${self}, __dirname = require('node:path').dirname(__filename);\n${code}`,
        loader: 'js',
      };
    });
  },
};

/**
 * Puts `banner` (lines) first in the built `file` and shifts its source map to match. tsup's own banner option
 * does not do for a split CommonJS build: its ESM-to-CommonJS pass puts helpers before the banner's second line.
 */
export async function prependBanner(file, banner) {
  const { chmod, readFile, writeFile } = await import('node:fs/promises');
  const code = await readFile(file, 'utf8');
  const lines = code.startsWith('#!') ? code.slice(code.indexOf('\n') + 1) : code;
  const removed = code === lines ? 0 : 1;
  const added = banner.split('\n').length;
  await writeFile(file, `${banner}\n${lines}`);
  await chmod(file, 0o755);
  const map = JSON.parse(await readFile(`${file}.map`, 'utf8'));
  map.mappings = ';'.repeat(added - removed) + map.mappings;
  await writeFile(`${file}.map`, JSON.stringify(map));
}

/**
 * A tsup plugin that drops comments and the indentation of lines from the bin's files, keeping every line where it
 * is (stack traces keep their line numbers; the source map follows the columns). V8 keeps each loaded file's
 * whole source in the heap, and a third of the bundle is indentation and comments (~0.5 MiB of an idle daemon).
 * Whitespace that is content (a template literal or string spanning lines) and legal or `#` comments stay.
 */
export const leanSource = {
  name: 'lean-source',
  renderChunk(code, info) {
    if (!/\.c?js$/.test(info.path)) return undefined;
    const { parse } = require('acorn');
    const MagicString = require('magic-string');
    const out = new MagicString(code);
    const content = []; // [start, end) of tokens whose text may span lines
    const comments = [];
    parse(code, {
      ecmaVersion: 'latest',
      sourceType: 'module',
      allowHashBang: true,
      onToken: (t) => {
        if (t.type.label === 'template' || t.type.label === 'string') content.push([t.start, t.end]);
      },
      onComment: (block, text, start, end) => {
        if (!/^[!#@]|@license|@preserve/.test(text)) comments.push([block, start, end]);
      },
    });
    const inside = (ranges, p) => {
      let lo = 0;
      let hi = ranges.length - 1;
      while (lo <= hi) {
        const mid = (lo + hi) >> 1;
        const [start, end] = ranges[mid];
        if (p < start) hi = mid - 1;
        else if (p >= end) lo = mid + 1;
        else return true;
      }
      return false;
    };
    const commentRanges = [];
    for (const [block, start, end] of comments) {
      const newlines = block ? code.slice(start, end).split('\n').length - 1 : 0;
      out.overwrite(start, end, newlines > 0 ? '\n'.repeat(newlines) : block ? ' ' : '');
      commentRanges.push([start, end]);
    }
    for (let p = code.indexOf('\n') + 1; p > 0 && p < code.length; p = code.indexOf('\n', p) + 1) {
      let q = p;
      while (code[q] === ' ' || code[q] === '\t') q++;
      if (q > p && !inside(content, p) && !inside(commentRanges, p)) out.remove(p, q);
    }
    return { code: out.toString(), map: out.generateMap({ hires: true, source: info.path }).toString() };
  },
};
