import { defineConfig } from 'tsup';
import { packageConfig } from '../../tsup.shared.js';

export default defineConfig(packageConfig({ entry: { index: 'src/index.ts', 'json/index': 'src/json/index.ts' } }));
