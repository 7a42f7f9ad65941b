/**
 * The CA certificates a TLS client of tscr trusts by default, when Node's own
 * loading of `NODE_EXTRA_CA_CERTS` was deferred by tscr's bins.
 *
 * Node parses the whole `NODE_EXTRA_CA_CERTS` file before it runs a line of
 * JavaScript (~35 ms for Debian's bundle), whether or not the program ever opens
 * a TLS connection. The `tscr` and `tscrd` bins start as a tiny `sh` script that
 * moves the variable to `TSCR_DEFERRED_CA_CERTS` before it `exec`s Node;
 * {@link adoptDeferredCaCerts} puts it back for children, and
 * {@link trustedCaCertificates} gives every TLS client that has no CA of its own
 * Node's bundled roots plus that file, read once, on the first TLS connection.
 */
import { readFileSync } from 'node:fs';

/** The variable the bins move `NODE_EXTRA_CA_CERTS` to before Node starts. */
export const DEFERRED_CA_CERTS_ENV = 'TSCR_DEFERRED_CA_CERTS';

let deferred: string | undefined;
let loaded: { file: string; certs: string[] } | undefined;

/**
 * Takes over a `NODE_EXTRA_CA_CERTS` the bin deferred: puts it back into
 * `process.env` (so child processes see it as the user set it) and remembers
 * that this process's TLS clients must add it themselves. Call it first thing
 * in a bin; harmless when nothing was deferred.
 */
export function adoptDeferredCaCerts(env: NodeJS.ProcessEnv = process.env): void {
  const file = env[DEFERRED_CA_CERTS_ENV];
  if (file === undefined) return;
  delete env[DEFERRED_CA_CERTS_ENV];
  if (file === '') return;
  deferred = file;
  env.NODE_EXTRA_CA_CERTS ??= file;
}

/** The PEM certificates in `text`, each a `-----BEGIN CERTIFICATE-----` … `-----END CERTIFICATE-----` block. */
export function pemCertificates(text: string): string[] {
  return text.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
}

function deferredCertificates(file: string): string[] {
  try {
    return pemCertificates(readFileSync(file, 'utf8'));
  } catch (err) {
    // What Node does with an unreadable file: warn and go on with the bundled roots.
    process.emitWarning(`Ignoring extra certs from \`${file}\`, load failed: ${(err as Error).message}`);
    return [];
  }
}

/**
 * The `ca` option for a TLS client: `undefined` when Node's default store is
 * already right (nothing deferred, no `extra`), else `roots` (pass
 * `tls.rootCertificates`: taken as an argument so that importing this package
 * does not load `node:tls`), the `NODE_EXTRA_CA_CERTS` certificates (the
 * deferred file, or the one Node loaded itself, since an explicit `ca` replaces
 * Node's store) and `extra`. The file is read on the first call that needs it
 * and kept; an unreadable file is skipped with a warning, as Node does.
 */
export function trustedCaCertificates(
  roots: readonly string[],
  extra: ReadonlyArray<string | Buffer> = [],
): Array<string | Buffer> | undefined {
  if (deferred === undefined && extra.length === 0) return undefined;
  const file = deferred ?? process.env.NODE_EXTRA_CA_CERTS;
  if (file && loaded?.file !== file) loaded = { file, certs: deferredCertificates(file) };
  return [...roots, ...(file ? (loaded?.certs ?? []) : []), ...extra];
}
