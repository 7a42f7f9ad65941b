/** The Transfer service's types live in `@tscr/api` (so clients need not depend on the daemon). */
export type {
  CallOptions,
  BlobDescriptor,
  TransferProgress,
  TransferStats,
  VolumeSpec,
  ImageSender,
  BlobReceiver,
  BlobServer,
  TransferService,
} from '@tscr/api';
