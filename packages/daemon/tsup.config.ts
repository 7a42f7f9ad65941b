import { defineConfig } from 'tsup';
import { binBanner, packageConfig } from '../../tsup.shared.js';

const library = { index: 'src/index.ts', 'local/index': 'src/local/index.ts', 'grpc/index': 'src/grpc/index.ts' };

export default defineConfig([
  packageConfig({ entry: library, clean: ['!main.*'] }),
  // The bin `tscrd`: a shell line first (see binBanner) that runs Node with 2 MiB young-generation semi-spaces.
  packageConfig({ entry: { main: 'src/main.ts' }, clean: false, banner: { js: binBanner('--max-semi-space-size=2') } }),
]);
