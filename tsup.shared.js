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

/**
 * The first two lines of a bin (`tscr`, `tscrd`): a shell script that is also JavaScript. As `sh`, it moves
 * NODE_EXTRA_CA_CERTS to TSCR_DEFERRED_CA_CERTS (Node would parse that whole CA file before running a line, ~35 ms)
 * and execs Node on the same file; as JavaScript, the second line is a string and a comment. The bin puts the
 * variable back (adoptDeferredCaCerts in @tscr/api) and its TLS clients add those CAs themselves.
 */
export function binBanner(nodeFlags = '') {
  const node = nodeFlags ? `node ${nodeFlags}` : 'node';
  return [
    '#!/bin/sh',
    `':' //; [ -n "$NODE_EXTRA_CA_CERTS" ] && { export TSCR_DEFERRED_CA_CERTS="$NODE_EXTRA_CA_CERTS"; unset NODE_EXTRA_CA_CERTS; }; exec ${node} "$0" "$@"`,
  ].join('\n');
}
