// Shared tsup settings: every package builds ESM + CJS + .d.ts the same way.

// esbuild escapes non-ASCII characters in code but copies comments verbatim, and one `→` or `—` in a kept TSDoc
// comment makes V8 hold the whole module source as UTF-16: twice its size in the heap of every process that loads
// it, for as long as it runs. Escaping them keeps sources one byte per character (esbuild's own escapes guarantee
// that whatever non-ASCII is left is inside comments, so no code changes meaning).
export const asciiComments = {
  name: 'ascii-comments',
  renderChunk(code) {
    if (!/[^\x00-\x7f]/.test(code)) return undefined;
    return { code: code.replace(/[^\x00-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`) };
  },
};

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
    plugins: [asciiComments],
    // A part loaded on first use (`await import(...)`) stays `require` in the CJS build: a real `import()` there
    // would load the package's ESM build, a second copy of every @tscr module beside the CJS one.
    esbuildOptions(options, { format }) {
      if (format === 'cjs') options.supported = { ...options.supported, 'dynamic-import': false };
    },
    ...rest,
  };
}

/**
 * The first two lines of a bin (`tscr`, `tscrd`): a shell script that is also JavaScript. As `sh`, it moves
 * NODE_EXTRA_CA_CERTS to TSCR_DEFERRED_CA_CERTS (Node would parse that whole CA file before running a line, ~35 ms)
 * and execs Node on the same file; as JavaScript, the second line is a string and a comment. The bin puts the
 * variable back (adoptDeferredCaCerts in @tscr/api) and its TLS clients add those CAs themselves.
 * `glibcTunables` (e.g. `glibc.malloc.trim_threshold=131072`) are appended to the caller's GLIBC_TUNABLES.
 */
export function binBanner(nodeFlags = '', { glibcTunables = '' } = {}) {
  const node = nodeFlags ? `node ${nodeFlags}` : 'node';
  const tunables = glibcTunables
    ? ` export GLIBC_TUNABLES="\${GLIBC_TUNABLES:+\$GLIBC_TUNABLES:}${glibcTunables}";`
    : '';
  return [
    '#!/bin/sh',
    `':' //; [ -n "$NODE_EXTRA_CA_CERTS" ] && { export TSCR_DEFERRED_CA_CERTS="$NODE_EXTRA_CA_CERTS"; unset NODE_EXTRA_CA_CERTS; };${tunables} exec ${node} "$0" "$@"`,
  ].join('\n');
}
