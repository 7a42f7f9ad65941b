import { defineConfig } from 'tsup';
import { asciiComments, binBanner, packageConfig } from '../../tsup.shared.js';
import { binBundle, genEntries, leanSource, prependBanner } from './tsup.bin.js';

const library = { index: 'src/index.ts', 'local/index': 'src/local/index.ts', 'grpc/index': 'src/grpc/index.ts' };

export default defineConfig([
  packageConfig({ entry: library, clean: ['!main.*', '!tscrd-*'] }),
  // The bin `tscrd` (dist/main.cjs), bundled (tsup.bin.js): the daemon's sources with the @tscr packages' CommonJS
  // builds and grpc-js inlined, what it loads on first use in chunks of its own (dist/tscrd-*.cjs). A shell line
  // first (see binBanner) runs Node with 2 MiB young-generation semi-spaces, and glibc's malloc with its trim
  // threshold fixed at its default 128 KiB: left dynamic, glibc raises it (and the mmap threshold) after the first
  // large free, and every thread's arena then keeps up to twice the largest block freed so far unreturned: ~1.8 MiB
  // of an idle daemon's RSS (bench/README.md, Idle RSS).
  {
    entry: { main: 'src/main.ts', ...genEntries() },
    format: ['cjs'],
    target: 'node20',
    platform: 'node',
    outDir: 'dist',
    clean: false,
    dts: false,
    sourcemap: true,
    // Chunks for the `await import()`s (tsup turns esbuild's ESM chunks into CommonJS).
    splitting: true,
    shims: false,
    noExternal: [/^@tscr\//, /^@grpc\//, /^@js-sdsl\//, 'better-sqlite3', /^protobufjs/, /^@protobufjs\//, 'long'],
    // One non-ASCII character in a comment makes V8 hold a whole file as UTF-16 (see tsup.shared.js).
    plugins: [asciiComments, leanSource],
    esbuildPlugins: [binBundle],
    esbuildOptions(options) {
      options.chunkNames = 'tscrd-[hash]';
    },
    onSuccess: () =>
      prependBanner(
        'dist/main.cjs',
        binBanner('--max-semi-space-size=2 --interrupt-budget=270336', { glibcTunables: 'glibc.malloc.trim_threshold=131072' }),
      ),
  },
]);
