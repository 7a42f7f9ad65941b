/**
 * @tscr/volume — volumes and the mounts containers get. Built so far: bind
 * and tmpfs mounts, and Docker's `-v` / `--tmpfs` syntax. The gRPC server and
 * client live in `@tscr/volume/grpc`.
 */
export type { CallOptions, Volume, ResolvedMount, CreateVolumeOptions, VolumeService } from './types.js';
export { LocalVolumeService, createLocalVolumeService } from './local/volume-service.js';
export type { LocalVolumeServiceOptions } from './local/volume-service.js';
export { parseBind, parseTmpfs } from './local/parse-bind.js';
export { TMPFS_DEFAULT_OPTIONS } from './local/options.js';
