import { defineConfig } from 'tsup';
import { packageConfig } from '../../tsup.shared.js';

export default defineConfig([
  // The library entry, like every package's (keeps the bin files, which the second build writes).
  packageConfig({ entry: { index: 'src/index.ts' }, clean: ['!main.cjs', '!cli.cjs'] }),
  // The CLI as one self-contained CommonJS file (cli.cjs), and the bin (main.cjs) that loads it
  // with a V8 code cache: startup reads and compiles as little as possible.
  {
    entry: { main: 'src/main.ts', cli: 'src/cli-bin.ts' },
    format: ['cjs'],
    target: 'node20',
    platform: 'node',
    outDir: 'dist',
    splitting: false,
    sourcemap: false,
    dts: false,
    clean: false,
    minify: true,
    noExternal: [/.*/],
    shims: true,
    // Resolve sibling packages to their sources (root tsconfig paths), not their built dist.
    tsconfig: '../../tsconfig.json',
    banner: { js: '#!/usr/bin/env node' },
  },
]);
