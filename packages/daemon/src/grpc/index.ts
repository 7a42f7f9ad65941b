/**
 * @tscr/daemon/grpc — the System service on the wire: the server that wraps
 * any SystemService and the client the CLI uses. Light on purpose: nothing
 * here loads the state database or any layer.
 */
export { createSystemServer, addSystemService } from './server.js';
export { GrpcSystemService } from './client.js';
export type { SystemService, VersionInfo, SystemInfo, EventsOptions, CallOptions } from '../types.js';
export { createTransferServer, addTransferService } from './transfer-server.js';
export { GrpcTransferService } from './transfer-client.js';
export type {
  TransferService,
  ImageSender,
  BlobReceiver,
  BlobServer,
  TransferProgress,
  TransferStats,
  BlobDescriptor,
  VolumeSpec,
} from '../transfer/types.js';
