import { GrpcTransferService } from '../grpc/transfer-client.js';
import type { RemoteTransfer } from './local-transfer.js';

/** PEM bytes of a daemon's identity: its certificate (with clientAuth), key and CA. */
export interface DaemonIdentity {
  cert: Uint8Array;
  key: Uint8Array;
  ca: Uint8Array;
}

/**
 * A transfer client of the daemon at `address`: over TCP with this daemon's
 * own certificate (mutual TLS) when it has one, plain over a UNIX socket.
 */
export function connectDaemon(address: string, identity: DaemonIdentity | undefined): RemoteTransfer {
  const a = address.trim();
  const unix = a.startsWith('unix://') || a.startsWith('/');
  return new GrpcTransferService(unix || !identity ? address : { address, tls: identity });
}
