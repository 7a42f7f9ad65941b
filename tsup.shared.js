// Shared tsup settings: every package builds ESM + CJS + .d.ts the same way.
export function packageConfig({ entry, ...rest }) {
  return {
    entry,
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    clean: true,
    target: 'node20',
    platform: 'node',
    splitting: false,
    outDir: 'dist',
    // Sibling packages (and a package's own main entry) stay imports, so each class exists once.
    external: [/^@tscr\//],
    // import.meta.url in the CJS build, __dirname/__filename in the ESM one.
    shims: true,
    ...rest,
  };
}
