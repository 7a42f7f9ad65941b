import { defineConfig } from 'tsup';
import { packageConfig } from '../../tsup.shared.js';

export default defineConfig(packageConfig({ entry: { index: 'src/index.ts', 'local/index': 'src/local/index.ts', 'grpc/index': 'src/grpc/index.ts', 'local/unpack-worker': 'src/local/unpack-worker.ts' } }));
