/**
 * @tscr/api — shared domain types and the TscrError family.
 * gRPC pieces (generated code, status mapping, call helpers) live behind
 * the `@tscr/api/grpc` subpath so importing this entry never loads grpc-js.
 */
export {
  ErrorCodes,
  TscrError,
  isTscrError,
  errorCode,
  isNotFound,
  isAlreadyExists,
  isInvalidArgument,
  isFailedPrecondition,
  isUnavailable,
  isUnimplemented,
  isCancelled,
  isPermissionDenied,
  notFound,
  alreadyExists,
  invalidArgument,
  failedPrecondition,
  unavailable,
  internal,
  cancelled,
  unimplemented,
  dataLoss,
  resourceExhausted,
  unauthenticated,
  permissionDenied,
} from './errors.js';
export type { ErrorCode, TscrErrorOptions } from './errors.js';
export { fromSystemError, errnoCode, isErrno } from './system-errors.js';
export { FAILPOINTS, FAILPOINTS_ENV, armedFailpoints, failpoint, parseFailpoints } from './failpoints.js';
export type { FailpointAction, FailpointName } from './failpoints.js';
export { BACKGROUND_FILE_OPS, backgroundFileOp, DirTrash, removeTree, renameInto } from './dir-trash.js';
export type { DirTrashOptions } from './dir-trash.js';
export { spreadSubdirectories } from './dir-spread.js';
export { TRACE_ENV, flushTrace, traceSince, traced, tracing } from './trace.js';
export type { TraceSpan } from './trace.js';
export type { Descriptor, ImageConfig, Image, ImageDeleteResult, Mount } from './types/image.js';
export type {
  MountSpec,
  ContainerConfig,
  HostConfig,
  ContainerStatus,
  ContainerState,
  MountPoint,
  ContainerInfo,
  ContainerSummary,
  LogEntry,
  ExitStatus,
  HealthConfig,
  HealthLogEntry,
  HealthState,
  LogConfig,
  RestartPolicy,
  PortBindingEntry,
  EndpointSettings,
  NetworkSettings,
} from './types/container.js';
export type { TscrEvent } from './types/event.js';
export type {
  Ulimit,
  DeviceMapping,
  Resources,
  SecurityConfig,
  ContainerStats,
  ContainerTop,
  FilesystemChange,
  PathStat,
} from './types/resources.js';
export { DEFAULT_SOCKET, API_VERSION, VERSION } from './constants.js';
export { humanDuration } from './duration.js';
export type { CallOptions } from './types/call.js';
export type { VersionInfo, SystemInfo, EventsOptions, SystemService } from './types/system.js';
export { nowNano, parseEventTime } from './time.js';
export { parsePruneFilters, labelsMatch, createdBefore } from './prune-filters.js';
export type { PruneFilter } from './prune-filters.js';
export { cancelledBy, throwIfCancelled } from './cancel.js';
export { isLoopbackHost } from './loopback.js';
export type {
  BlobDescriptor,
  TransferProgress,
  TransferStats,
  VolumeSpec,
  ImageSender,
  BlobReceiver,
  BlobServer,
  TransferService,
} from './types/transfer.js';
export { DEFERRED_CA_CERTS_ENV, adoptDeferredCaCerts, pemCertificates, trustedCaCertificates } from './trusted-cas.js';
