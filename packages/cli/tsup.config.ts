import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { defineConfig, type Options } from 'tsup';
import { binBanner, packageConfig } from '../../tsup.shared.js';
import { slimGrpcEntries } from './tsup.slim-grpc.js';
import { BUNDLE_HEAD, BUNDLE_TAIL } from './src/bundle-wrap.js';
import { LEAN_BUNDLES, type LeanBundle } from './src/lean-bundles.js';

/**
 * `TSCR_CLI_PROFILE_OUT=DIR` builds only the bin, with a source map, into DIR
 * (what bench/cli-profile.mjs measures); the release build has no map.
 */
const profileOut = process.env.TSCR_CLI_PROFILE_OUT;

/**
 * Where the bundle's imports of `@grpc/grpc-js` go: calls over the CLI's own HTTP/2 client (src/wire/grpc-lite.ts);
 * grpc-lite's own (lazy) require of the real grpc-js goes to a file of its own next to the bundle (grpc-js.cjs).
 */
const grpcLite = resolve('src/wire/grpc-lite.ts');
const liteGrpc: NonNullable<Options['esbuildPlugins']>[number] = {
  name: 'tscr-grpc-lite',
  setup(build) {
    build.onResolve({ filter: /^@grpc\/grpc-js$/ }, (args) =>
      args.importer === grpcLite ? { path: './grpc-js.cjs', external: true } : { path: grpcLite },
    );
  },
};

/**
 * `src/grpc-system.ts` takes GrpcSystemService from the file that defines it, not from the whole
 * `@tscr/api/grpc` entry, which would evaluate every service's generated messages for `tscr version`.
 */
const grpcSystem = resolve('src/grpc-system.ts');
const systemClientOnly: NonNullable<Options['esbuildPlugins']>[number] = {
  name: 'tscr-system-client-only',
  setup(build) {
    build.onResolve({ filter: /^@tscr\/api\/grpc$/ }, (args) =>
      args.importer === grpcSystem ? { path: resolve('../api/src/grpc/system-client.ts') } : undefined,
    );
  },
};

/**
 * Escapes what esbuild leaves non-ASCII (a `µ` in a regular expression): an ASCII bundle is read as
 * latin1 by the bin (a copy; UTF-8 decoding 1.5 MB cost ~5 ms) and V8 keeps it as a one-byte string.
 * A `\\uXXXX` escape means the same character in a string, template, regular expression or identifier.
 * Then wraps it in the function the bin calls (src/bundle-wrap.ts).
 */
function finishBundle(file: string): void {
  const text = readFileSync(file, 'utf8');
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the range is "everything past ASCII"
  const ascii = text.replace(/[^\x00-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  writeFileSync(file, `${BUNDLE_HEAD}${ascii}${BUNDLE_TAIL}`);
}

/**
 * `@tscr/api`'s address.ts imports `checkServerIdentity` from `node:tls` at its top, which would load TLS
 * and crypto for every client (~4 ms of `tscr version`); the bundle gives it a wrapper that loads them on first use.
 */
const addressTs = resolve('../api/src/grpc/address.ts');
const lazyTls: NonNullable<Options['esbuildPlugins']>[number] = {
  name: 'tscr-lazy-tls',
  setup(build) {
    build.onResolve({ filter: /^node:tls$/ }, (args) =>
      args.importer === addressTs ? { path: resolve('src/wire/lazy-tls.ts') } : undefined,
    );
  },
};

/** `src/builtin.ts` in the bundle: the bin's `require` (see src/wire/bundle-builtin.ts), not `node:module`'s. */
const builtinTs = resolve('src/builtin.ts');
const bundleBuiltin: NonNullable<Options['esbuildPlugins']>[number] = {
  name: 'tscr-bundle-builtin',
  setup(build) {
    build.onResolve({ filter: /\/builtin\.js$/ }, (args) =>
      resolve(args.resolveDir, args.path.replace(/\.js$/, '.ts')) === builtinTs
        ? { path: resolve('src/wire/bundle-builtin.ts') }
        : undefined,
    );
  },
};

/** `@tscr/api/grpc`'s index without the CRI's generated messages, which the CLI never uses (see src/wire/no-cri.ts). */
const apiGrpcIndex = resolve('../api/src/grpc/index.ts');
const noCri: NonNullable<Options['esbuildPlugins']>[number] = {
  name: 'tscr-no-cri',
  setup(build) {
    build.onResolve({ filter: /\/gen\/k8s\/runtime\/v1\/api\.js$/ }, (args) =>
      args.importer === apiGrpcIndex ? { path: resolve('src/wire/no-cri.ts') } : undefined,
    );
  },
};

/**
 * Third-party packages that only a few commands use (`tar`: cp, build, save/load; `yaml`: compose), kept out of
 * the bundle every run reads: each is its own file (dist/vendor-NAME.cjs), required where it is imported, which
 * for these is inside modules evaluated only by the commands that use them.
 */
const VENDORED = ['tar', 'yaml'];
const vendorSplit: NonNullable<Options['esbuildPlugins']>[number] = {
  name: 'tscr-vendor-split',
  setup(build) {
    // Every import of a vendored package (static or `await import()`) goes through a bundled one-line CommonJS
    // shim, so the bundle holds a require() of the file, never an import() (which fails in the bin's vm.Script).
    build.onResolve({ filter: new RegExp(`^(${VENDORED.join('|')})$`) }, (args) =>
      args.importer.endsWith(`/src/wire/vendor/${args.path}.ts`) ? undefined : { path: args.path, namespace: 'vendor' },
    );
    build.onLoad({ filter: /.*/, namespace: 'vendor' }, (args) => ({
      contents: `module.exports = require('./vendor-${args.path}.cjs');`,
      loader: 'js',
    }));
    build.onResolve({ filter: /^\.\/vendor-[a-z-]+\.cjs$/ }, (args) => ({ path: args.path, external: true }));
  },
};

/**
 * One copy of `long`, without its WebAssembly. The generated messages import its ESM build and protobufjs
 * requires its CommonJS build, so the bundle held both, and each compiled and instantiated a small WebAssembly
 * module when evaluated (~1 ms of every call's first client, for int64 multiply/divide the CLI never does). Both
 * now get the CommonJS build, whose `WebAssembly.Module` is replaced by a throw inside long's own try: long then
 * keeps its plain JavaScript arithmetic, as it does where WebAssembly is missing.
 */
const longUmd = createRequire(import.meta.url).resolve('long'); // its "require" export: umd/index.js
const oneLong: NonNullable<Options['esbuildPlugins']>[number] = {
  name: 'tscr-one-long',
  setup(build) {
    build.onResolve({ filter: /^long$/ }, () => ({ path: longUmd }));
    build.onLoad({ filter: /[\\/]long[\\/]umd[\\/]index\.js$/ }, (args) => {
      const text = readFileSync(args.path, 'utf8');
      const patched = text.replace('new WebAssembly.Module(', '(() => { throw new Error("no wasm in the tscr bin"); })(');
      if (patched === text) throw new Error(`tscr-one-long: no WebAssembly.Module in ${args.path}`);
      return { contents: patched, loader: 'js' };
    });
  },
};

/** What `src/client.ts` imports for each client getter. */
const CLIENT_IMPORTS: Record<string, string> = {
  containers: '@tscr/container/grpc',
  images: '@tscr/image/grpc',
  registry: '@tscr/registry-client/grpc',
  system: './grpc-system.js',
  volumes: '@tscr/volume/grpc',
  networks: '@tscr/network/grpc',
  plugins: '@tscr/plugins/grpc',
};

/**
 * A lean bundle (src/lean-bundles.ts): the command table's imports of the command modules it does not hold, and
 * the client getters' imports of the clients it does not hold, become an empty module. The bin never runs a lean
 * bundle for a word whose commands would reach one (the unit tests of lean-bundles.ts check the lists).
 */
function leanOnly(lean: LeanBundle): NonNullable<Options['esbuildPlugins']>[number] {
  const table = resolve('src/commands/table.ts');
  const client = resolve('src/client.ts');
  const dropped = new Set(
    Object.entries(CLIENT_IMPORTS)
      .filter(([getter]) => lean.clients !== undefined && !lean.clients.includes(getter))
      .map(([, spec]) => spec),
  );
  return {
    name: 'tscr-lean-bundle',
    setup(build) {
      build.onResolve({ filter: /.*/ }, (args) => {
        const out =
          (args.importer === table && args.path.startsWith('./') && !lean.commandModules.includes(args.path)) ||
          (args.importer === client && dropped.has(args.path));
        return out ? { path: args.path, namespace: 'tscr-not-in-lean-bundle' } : undefined;
      });
      build.onLoad({ filter: /.*/, namespace: 'tscr-not-in-lean-bundle' }, () => ({
        contents: '// Not in this lean bundle of the bin (see src/lean-bundles.ts).\nexport {};\n',
        loader: 'js',
      }));
    },
  };
}

// The CLI as one self-contained CommonJS file (cli.cjs), and the bin
// (main.cjs) that loads it with a V8 code cache: startup reads and compiles as little as possible.
const bundle: Options = {
  entry: { cli: 'src/cli-bin.ts' },
  format: ['cjs'],
  target: 'node20',
  platform: 'node',
  outDir: profileOut ?? 'dist',
  splitting: false,
  sourcemap: profileOut !== undefined,
  dts: false,
  clean: false,
  minify: true,
  noExternal: [/.*/],
  esbuildPlugins: [liteGrpc, systemClientOnly, lazyTls, noCri, vendorSplit, oneLong, bundleBuiltin, slimGrpcEntries(resolve('..'))],
  // tsup's own plugin would mark every `node:` import external before lazyTls sees it; esbuild keeps builtins external itself.
  removeNodeProtocol: false,
  onSuccess: async () => finishBundle(join(profileOut ?? 'dist', 'cli.cjs')),
  // No `import.meta.url` shim: nothing in the bundle reads it, and the shim built a URL at load.
  shims: false,
  // Resolve sibling packages to their sources (root tsconfig paths), not their built dist.
  tsconfig: '../../tsconfig.json',
};

/** The lean bundles (cli-NAME.cjs), each the CLI with only some command modules and clients. */
const leanBundles: Options[] = LEAN_BUNDLES.map((lean) => ({
  ...bundle,
  entry: { [lean.file.replace(/\.cjs$/, '')]: 'src/cli-bin.ts' },
  esbuildPlugins: [leanOnly(lean), ...(bundle.esbuildPlugins ?? [])],
  onSuccess: async () => finishBundle(join(profileOut ?? 'dist', lean.file)),
}));

/**
 * The bin itself: only node builtins. Its first lines (a shell script that is also JavaScript, see binBanner)
 * let npm link it as `tscr` and keep Node from parsing NODE_EXTRA_CA_CERTS before the CLI needs TLS.
 */
const bin: Options = { ...bundle, entry: { main: 'src/main.ts' }, banner: { js: binBanner() }, onSuccess: undefined };

/**
 * The CLI host (dist/cli-host.cjs, src/host/): the whole CLI with the host's server, run by node itself (no
 * vm.Script wrapper, no code cache: it compiles once and stays warm). Its first lines make it executable
 * alone, with node flags that keep a long-lived process small: a young generation of 1 MiB semi-spaces
 * (the default 16 MiB ones are sized for throughput) and V8's size-over-speed heuristics.
 */
const CLI_HOST_NODE_FLAGS = '--max-semi-space-size=1 --optimize-for-size';
const host: Options = {
  ...bundle,
  entry: { 'cli-host': 'src/host/entry.ts' },
  banner: { js: binBanner(CLI_HOST_NODE_FLAGS) },
  onSuccess: undefined,
};

/** grpc-js alone (dist/grpc-js.cjs), required by the bundle only when it needs the real grpc-js; the vendored packages. */
const grpcJs: Options = {
  ...bundle,
  entry: {
    'grpc-js': 'src/wire/grpc-js-bundle.ts',
    ...Object.fromEntries(VENDORED.map((name) => [`vendor-${name}`, `src/wire/vendor/${name}.ts`])),
  },
  esbuildPlugins: [],
  onSuccess: undefined,
  shims: true,
};

export default defineConfig(
  profileOut
    ? [bundle, ...leanBundles, bin, grpcJs]
    : [
        // The library entry, like every package's (keeps the bin files, which the second build writes).
        packageConfig({ entry: { index: 'src/index.ts' }, clean: ['!main.cjs', '!tscr', '!cli.cjs', '!cli-*.cjs', '!grpc-js.cjs', '!vendor-*.cjs'] }),
        bundle,
        ...leanBundles,
        bin,
        host,
        grpcJs,
      ],
);
