// The library's gRPC clients (GrpcSystemService, GrpcContainerService) over the CLI's lean HTTP/2 transport
// (packages/cli/src/wire/grpc-lite.ts) instead of grpc-js: the sources bundled with esbuild, every import of
// `@grpc/grpc-js` pointed at grpc-lite as the tscr bin's bundle does (grpc-lite's own lazy require of the real
// grpc-js stays external). For bench/grpc-call.mjs and `bench/api-latency.mjs --transport lite`.
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);

/** Builds (once per call) and loads the bundle; resolves with its exports. */
export async function liteClients() {
  const esbuild = require('esbuild');
  const grpcLite = join(root, 'packages/cli/src/wire/grpc-lite.ts');
  const out = join(root, 'bench/.bench-out/lite-clients.cjs');
  mkdirSync(dirname(out), { recursive: true });
  await esbuild.build({
    stdin: {
      contents:
        "export { GrpcSystemService } from './packages/api/src/grpc/system-client.ts';\n" +
        "export { GrpcContainerService } from './packages/container/src/grpc/client.ts';\n",
      resolveDir: root,
      loader: 'ts',
    },
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    outfile: out,
    logLevel: 'error',
    tsconfig: join(root, 'tsconfig.json'),
    plugins: [
      {
        name: 'grpc-lite',
        setup(build) {
          build.onResolve({ filter: /^@grpc\/grpc-js$/ }, (args) =>
            args.importer === grpcLite ? { path: '@grpc/grpc-js', external: true } : { path: grpcLite },
          );
        },
      },
    ],
  });
  return require(out);
}
