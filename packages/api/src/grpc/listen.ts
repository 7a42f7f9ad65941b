import { chmod, mkdir, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { type Server, ServerCredentials } from '@grpc/grpc-js';
import { fromSystemError } from '@tscr/api';
import { parseEndpoint } from './address.js';

/**
 * Binds `server` to `address` (`unix:///path` or `host:port`, port 0 picks
 * one). A UNIX socket gets mode `socketMode` (default 0600: root only) and a
 * stale socket file is replaced. Resolves with the address actually bound.
 */
export async function listen(server: Server, address: string, socketMode = 0o600): Promise<string> {
  const ep = parseEndpoint(address);
  const isUnix = ep.target.startsWith('unix://');
  const path = isUnix ? ep.target.slice('unix://'.length) : '';
  if (isUnix) {
    await mkdir(dirname(path), { recursive: true, mode: 0o711 });
    await rm(path, { force: true });
  }
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(ep.target, ServerCredentials.createInsecure(), (err, p) =>
      err ? reject(fromSystemError(err, `cannot listen on ${ep.display}`)) : resolve(p),
    );
  });
  if (isUnix) {
    await chmod(path, socketMode);
    return `unix://${path}`;
  }
  const host = ep.target.slice(0, ep.target.lastIndexOf(':'));
  return `${host}:${port}`;
}
