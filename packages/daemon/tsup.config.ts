import { defineConfig } from 'tsup';
import { binBanner, packageConfig } from '../../tsup.shared.js';

const library = { index: 'src/index.ts', 'local/index': 'src/local/index.ts', 'grpc/index': 'src/grpc/index.ts' };

export default defineConfig([
  packageConfig({ entry: library, clean: ['!main.*'] }),
  // The bin `tscrd`: a shell line first (see binBanner) that runs Node with 2 MiB young-generation semi-spaces,
  // and glibc's malloc with its trim threshold fixed at its default 128 KiB: left dynamic, glibc raises it (and
  // the mmap threshold) after the first large free, and every thread's arena then keeps up to twice the largest
  // block freed so far unreturned: ~1.8 MiB of an idle daemon's RSS (bench/README.md, Idle RSS).
  packageConfig({
    entry: { main: 'src/main.ts' },
    clean: false,
    banner: { js: binBanner('--max-semi-space-size=2', { glibcTunables: 'glibc.malloc.trim_threshold=131072' }) },
  }),
]);
