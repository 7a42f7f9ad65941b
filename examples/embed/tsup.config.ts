import { defineConfig } from 'tsup';
import { packageConfig } from '../../tsup.shared.js';

// A program, not a library: ESM only (run.ts checks import.meta.url to run itself), no .d.ts.
export default defineConfig(packageConfig({ entry: { run: 'src/run.ts' }, format: ['esm'], dts: false }));
