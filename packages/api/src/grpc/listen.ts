import { chmod, mkdir, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { type Server, ServerCredentials } from '@grpc/grpc-js';
import { fromSystemError, invalidArgument } from '@tscr/api';
import { parseEndpoint } from './address.js';
import { limitFirstCall, traceStreams } from './first-call.js';

/** A server's side of mutual TLS: PEM bytes of its certificate, key, and the CA clients must chain to. */
export interface ServerTls {
  cert: Uint8Array;
  key: Uint8Array;
  ca: Uint8Array;
}

/** Options of {@link listen}. */
export interface ListenOptions {
  /** Mode of a UNIX socket; default 0600 (root only). */
  socketMode?: number;
  /** Mutual TLS for a TCP address: only clients with a certificate chaining to `ca` get in (TLS 1.2+). */
  tls?: ServerTls;
  /**
   * Closes a connection that has not opened its first call within this many
   * ms (see {@link limitFirstCall}); default: no deadline.
   */
  firstCallTimeoutMs?: number;
}

/**
 * Binds `server` to `address` (`unix:///path` or `host:port`, port 0 picks
 * one). A UNIX socket gets mode `socketMode` and a stale socket file is
 * replaced. Resolves with the address actually bound (`tcp://` is dropped).
 * @throws InvalidArgument for TLS on a UNIX socket; the system error's code when binding fails.
 */
export async function listen(server: Server, address: string, opts: ListenOptions = {}): Promise<string> {
  const { socketMode = 0o600, tls, firstCallTimeoutMs } = opts;
  const ep = parseEndpoint(address);
  const isUnix = ep.target.startsWith('unix://');
  const path = isUnix ? ep.target.slice('unix://'.length) : '';
  if (isUnix) {
    if (tls) throw invalidArgument(`TLS is for TCP listeners, not ${ep.display}`);
    await mkdir(dirname(path), { recursive: true, mode: 0o711 });
    await rm(path, { force: true });
  }
  const creds = tls
    ? ServerCredentials.createSsl(
        Buffer.from(tls.ca),
        [{ cert_chain: Buffer.from(tls.cert), private_key: Buffer.from(tls.key) }],
        true,
      )
    : ServerCredentials.createInsecure();
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(ep.target, creds, (err, p) =>
      err ? reject(fromSystemError(err, `cannot listen on ${ep.display}`)) : resolve(p),
    );
  });
  if (firstCallTimeoutMs !== undefined) limitFirstCall(server, firstCallTimeoutMs);
  traceStreams(server);
  if (isUnix) {
    await chmod(path, socketMode);
    return `unix://${path}`;
  }
  const host = ep.target.slice(0, ep.target.lastIndexOf(':'));
  return `${host}:${port}`;
}
