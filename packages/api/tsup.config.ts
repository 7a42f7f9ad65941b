import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { defineConfig } from 'tsup';
import { packageConfig } from '../../tsup.shared.js';

const entry = { index: 'src/index.ts', 'grpc/index': 'src/grpc/index.ts', 'cri/index': 'src/cri/index.ts' };

// Generated namespaces of @tscr/api/grpc that its CommonJS build loads on first use, each from its own file
// (dist/grpc/gen/<name>.cjs): `systemV1` and `transferV1` stay in the entry (its own clients and the System
// server use them). See src/grpc/lazy-module.ts.
const lazy = {
  typesV1: 'gen/tscr/types/v1/types.ts',
  resourcesV1: 'gen/tscr/types/v1/resources.ts',
  imagesV1: 'gen/tscr/images/v1/images.ts',
  runtimeV1: 'gen/tscr/runtime/v1/runtime.ts',
  containersV1: 'gen/tscr/containers/v1/containers.ts',
  networkV1: 'gen/tscr/network/v1/network.ts',
  volumeV1: 'gen/tscr/volume/v1/volume.ts',
  registryV1: 'gen/tscr/registry/v1/registry.ts',
  builderV1: 'gen/tscr/builder/v1/builder.ts',
  pluginsV1: 'gen/tscr/plugins/v1/plugins.ts',
};

/** In the CJS entry, `export * as xV1 from '../../gen/…'` of a lazy namespace becomes a lazyModule of its file. */
const lazyNamespaces = {
  name: 'lazy-namespaces',
  setup(build) {
    build.onResolve({ filter: /^\.\/gen\// }, (args) => ({ path: args.path, external: true }));
    build.onLoad({ filter: /src[\\/]grpc[\\/]index\.ts$/ }, async (args) => {
      let contents = await readFile(args.path, 'utf8');
      for (const name of Object.keys(lazy)) {
        const line = new RegExp(`^export \\* as ${name} from '[^']+';$`, 'm');
        if (!line.test(contents)) throw new Error(`src/grpc/index.ts: no 'export * as ${name}' line`);
        contents = contents.replace(line, `export const ${name} = lazyModule(() => require('./gen/${name}.cjs'));`);
      }
      return { contents: `import { lazyModule } from './lazy-module.js';\n${contents}`, loader: 'ts' };
    });
  },
};

/** In a lazy namespace's file, another generated file (`../../types/v1/types`) is that namespace's file. */
const siblingNamespaces = {
  name: 'sibling-namespaces',
  setup(build) {
    build.onResolve({ filter: /^\.\.\/\.\.\/\w+\/v1\/\w+$/ }, (args) => ({
      path: `./${basename(args.path)}V1.cjs`,
      external: true,
    }));
  },
};

export default defineConfig([
  packageConfig({
    entry,
    format: ['esm'],
    // The generated code imports `protobufjs/minimal` without an extension, which
    // Node's ESM resolver rejects; bundling the wire runtime sidesteps that.
    noExternal: ['protobufjs', 'long'],
    // Declarations come from scripts/emit-types.mjs (file by file, so proto namespaces stay whole).
    dts: false,
    clean: false,
  }),
  // CommonJS requires `protobufjs/minimal` as it is: one copy, shared by the entries and the lazy namespaces.
  packageConfig({ entry, format: ['cjs'], dts: false, clean: false, esbuildPlugins: [lazyNamespaces] }),
  packageConfig({
    entry: Object.fromEntries(Object.entries(lazy).map(([name, file]) => [`grpc/gen/${name}`, file])),
    format: ['cjs'],
    dts: false,
    clean: false,
    esbuildPlugins: [siblingNamespaces],
  }),
]);
