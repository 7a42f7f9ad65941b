import { GrpcTransferService } from '@tscr/api/grpc';
import { dialTarget, type DaemonIdentity } from '../listeners.js';
import type { RemoteTransfer } from './local-transfer.js';

/** A transfer client of the daemon at `address`, dialled with this daemon's identity (see {@link dialTarget}). */
export function connectDaemon(address: string, identity: DaemonIdentity | undefined): RemoteTransfer {
  return new GrpcTransferService(dialTarget(address, identity));
}
