/**
 * @tscr/volume — volumes and the mounts containers get: Docker's local
 * volume driver (named and anonymous volumes, copy-up, usage tracking), bind
 * and tmpfs mounts, Docker's `-v` / `--tmpfs` syntax, and a router over
 * several drivers (plug-in drivers are VolumeServices reached over gRPC).
 * The gRPC server and client live in `@tscr/volume/grpc`.
 * This entry holds the interface types and pure helpers only (nothing that
 * touches the host); the local implementation is `@tscr/volume/local`.
 */
export type {
  CallOptions,
  Volume,
  ResolvedMount,
  CreateVolumeOptions,
  VolumeFilters,
  ListVolumesOptions,
  PruneVolumesOptions,
  PruneResult,
  ResolveMountsOptions,
  ReleaseOptions,
  VolumeService,
} from './types.js';
export { parseBind, parseTmpfs, applyVolumeDriver } from './local/parse-bind.js';
export { TMPFS_DEFAULT_OPTIONS } from './local/options.js';
export { VolumeRouter, DEFAULT_DRIVER } from './router.js';
export type { VolumeDriverResolver } from './router.js';
