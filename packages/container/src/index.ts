/**
 * @tscr/container — Docker-shaped containers over the image, runtime,
 * network and volume layers. The gRPC server and client live in
 * `@tscr/container/grpc`.
 * This entry holds the interface types and pure helpers only (nothing that
 * touches the host); the local implementation is `@tscr/container/local`.
 */
export type {
  CallOptions,
  CreateContainerRequest,
  WaitCondition,
  LogsOptions,
  AttachOptions,
  ContainerService,
  ContainerStdio,
  StdioAttachOptions,
  ExecConfig,
  ExecInfo,
  StartExecOptions,
  OutputChunk,
  TerminalSize,
} from './types.js';
export type { ContainerStore, EventPublisher } from './store.js';
export { isActive } from './store.js';
export { effectiveCommand, mergeEnv, DEFAULT_PATH } from './local/config.js';
export type { EffectiveCommand } from './local/config.js';
export { normalizeName, randomName } from './local/names.js';
export { statusText } from './local/status-text.js';
export type { ContainerControl, ArchiveResult, PutArchiveOptions } from './control-types.js';
export type { CommitOptions, ContainerCommitter } from './types.js';
export { commitConfig } from './local/commit.js';
export { psTable } from './local/top.js';
export { OWNER_LABEL } from './local/namespaces.js';
