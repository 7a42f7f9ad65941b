import { resolve } from 'node:path';
import { defineConfig, type Options } from 'tsup';
import { binBanner, packageConfig } from '../../tsup.shared.js';

/**
 * `TSCR_CLI_PROFILE_OUT=DIR` builds only the bin, with a source map, into DIR
 * (what bench/cli-profile.mjs measures); the release build has no map.
 */
const profileOut = process.env.TSCR_CLI_PROFILE_OUT;

/** Where the bundle's imports of `@grpc/grpc-js` go: unary calls over node:http2, grpc-js itself on demand. */
const grpcLite = resolve('src/wire/grpc-lite.ts');
const liteGrpc: NonNullable<Options['esbuildPlugins']>[number] = {
  name: 'tscr-grpc-lite',
  setup(build) {
    build.onResolve({ filter: /^@grpc\/grpc-js$/ }, (args) => (args.importer === grpcLite ? undefined : { path: grpcLite }));
  },
};

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
  esbuildPlugins: [liteGrpc],
  shims: true,
  // Resolve sibling packages to their sources (root tsconfig paths), not their built dist.
  tsconfig: '../../tsconfig.json',
};

/**
 * The bin itself: only node builtins. Its first lines (a shell script that is also JavaScript, see binBanner)
 * let npm link it as `tscr` and keep Node from parsing NODE_EXTRA_CA_CERTS before the CLI needs TLS.
 */
const bin: Options = { ...bundle, entry: { main: 'src/main.ts' }, banner: { js: binBanner() } };

export default defineConfig(
  profileOut
    ? [bundle, bin]
    : [
        // The library entry, like every package's (keeps the bin files, which the second build writes).
        packageConfig({ entry: { index: 'src/index.ts' }, clean: ['!main.cjs', '!cli.cjs'] }),
        bundle,
        bin,
      ],
);
