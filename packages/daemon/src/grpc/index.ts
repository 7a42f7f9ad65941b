/**
 * @tscr/daemon/grpc — the System service on the wire. The server and client now live in
 * `@tscr/api/grpc` (so clients need not depend on the daemon); re-exported here.
 */
export { createSystemServer, addSystemService, GrpcSystemService } from '@tscr/api/grpc';
export type { SystemService, VersionInfo, SystemInfo, EventsOptions, CallOptions } from '@tscr/api';
export { createTransferServer, addTransferService } from './transfer-server.js';
export { GrpcTransferService } from '@tscr/api/grpc';
export type {
  TransferService,
  ImageSender,
  BlobReceiver,
  BlobServer,
  TransferProgress,
  TransferStats,
  BlobDescriptor,
  VolumeSpec,
} from '@tscr/api';
