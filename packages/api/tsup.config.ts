import { defineConfig } from 'tsup';
import { packageConfig } from '../../tsup.shared.js';

export default defineConfig(
  packageConfig({
    entry: { index: 'src/index.ts', 'grpc/index': 'src/grpc/index.ts', 'cri/index': 'src/cri/index.ts' },
    // The generated code imports `protobufjs/minimal` without an extension, which
    // Node's ESM resolver rejects; bundling the wire runtime sidesteps that.
    noExternal: ['protobufjs', 'long'],
    // Declarations come from scripts/emit-types.mjs (file by file, so proto namespaces stay whole).
    dts: false,
  }),
);
