import { defineConfig } from 'tsup';
import { packageConfig } from '../../tsup.shared.js';

// A program, not a library: ESM only, no .d.ts.
export default defineConfig(packageConfig({ entry: { main: 'src/main.ts' }, format: ['esm'], dts: false }));
