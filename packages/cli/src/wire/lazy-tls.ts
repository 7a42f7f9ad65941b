/**
 * What the bin's bundle gives `@tscr/api`'s address.ts for `node:tls` (see tsup.config.ts): its one
 * function, loading `node:tls` (and `node:crypto` with it, ~4 ms) only when a TLS handshake calls it,
 * not when a plain UNIX-socket client is made. Only the bundle uses this module.
 */
import type { PeerCertificate } from 'node:tls';

/** `tls.checkServerIdentity`, required on its first call. */
export function checkServerIdentity(hostname: string, cert: PeerCertificate): Error | undefined {
  return (require('node:tls') as typeof import('node:tls')).checkServerIdentity(hostname, cert);
}
