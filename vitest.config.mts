import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// Tests import sibling packages by name; point those names at the sources so
// tests run without a build. (The CLI's end-to-end tests use the built bin.)
const root = fileURLToPath(new URL('.', import.meta.url));
const packages = readdirSync(`${root}packages`);
const alias = packages.flatMap((name) => [
  { find: `@tscr/${name}/grpc`, replacement: `${root}packages/${name}/src/grpc/index.ts` },
  { find: `@tscr/${name}/local`, replacement: `${root}packages/${name}/src/local/index.ts` },
  { find: `@tscr/${name}/json`, replacement: `${root}packages/${name}/src/json/index.ts` },
  { find: new RegExp(`^@tscr/${name}$`), replacement: `${root}packages/${name}/src/index.ts` },
]);
// The one entry of its own kind, before `@tscr/api` itself: the CRI's generated code (packages/api/src/cri).
alias.unshift({ find: '@tscr/api/cri', replacement: `${root}packages/api/src/cri/index.ts` });

export default defineConfig({
  resolve: { alias },
  test: {
    projects: [
      {
        resolve: { alias },
        test: {
          name: 'unit',
          include: ['packages/*/test/unit/**/*.test.ts', 'examples/*/test/unit/**/*.test.ts'],
          environment: 'node',
        },
      },
      {
        resolve: { alias },
        test: {
          name: 'integration',
          include: ['packages/*/test/integration/**/*.test.ts', 'examples/*/test/**/*.test.ts'],
          exclude: ['examples/*/test/unit/**'],
          environment: 'node',
          testTimeout: 60_000,
          hookTimeout: 60_000,
          // Integration tests share the host's runc, mounts and a daemon: one file at a time.
          fileParallelism: false,
        },
      },
    ],
  },
});
