/**
 * @tscr/runtime — OCI runtime-spec generation and a task driver that runs
 * each task under its own conmon monitor with runc or crun. The gRPC server
 * and client live behind `@tscr/runtime/grpc`.
 */
export type {
  CallOptions,
  ProcessSpec,
  OciMount,
  NetworkNamespace,
  TaskSpec,
  TaskStatus,
  TaskState,
  TaskRuntime,
  TaskStats,
  ProcessInfo,
  TerminalSize,
  OutputChunk,
  TaskIO,
  ExecSpec,
  ExecSession,
  AttachSession,
  SharedNamespaces,
} from './types.js';
export { execCapture } from './local/exec-capture.js';
export type { ExecCaptureOptions, ExecCaptureResult } from './local/exec-capture.js';
export { findRelay } from './local/relay.js';
export { LocalTaskRuntime, createLocalTaskRuntime, DEFAULT_RUNTIMES } from './local/task-runtime.js';
export type { LocalTaskRuntimeOptions } from './local/task-runtime.js';
export {
  buildOciSpec,
  defaultMounts,
  processEnv,
  hostsFile,
  DEFAULT_CAPABILITIES,
  DEFAULT_MASKED_PATHS,
  DEFAULT_READONLY_PATHS,
} from './local/spec.js';
export type { OciRuntimeSpec, OciSpecOptions } from './local/spec.js';
export { resolveUser, resolveUserFrom } from './local/user.js';
export type { ResolvedUser } from './local/user.js';
export { DEFAULT_PATH } from './local/lookpath.js';
export { parseSignal } from './local/signals.js';
export { readLogs, logOffset, parseLogLine } from './local/logs.js';
export type { ReadLogsOptions } from './local/logs.js';
export {
  DEFAULT_LOG_ROTATION,
  LogRotator,
  logRotationOf,
  parseLogSize,
  rotateLog,
  rotatedPath,
  requestReopen,
} from './local/log-rotate.js';
export type { LogRotation } from './local/log-rotate.js';
export { runtimeVersion, monitorVersion } from './local/version.js';
export {
  MIN_MEMORY_BYTES,
  hostCgroupVersion,
  hostHardLimits,
  linuxResources,
  processRlimits,
  updateResources,
  validateResources,
} from './local/resources.js';
export type { CgroupVersion, LinuxResources } from './local/resources.js';
export {
  ALL_CAPABILITIES,
  INIT_PATH_IN_CONTAINER,
  applyTaskOptions,
  capabilitySet,
  checkSysctls,
  parseSecurityOpts,
  validateTaskOptions,
} from './local/security.js';
export type { DeviceNode, HostFacts } from './local/security.js';
export { defaultSeccompProfile } from './local/seccomp.js';
export type { SeccompProfile } from './local/seccomp.js';
export { RESOURCE_KEYS, SECURITY_KEYS, pickResources, pickSecurity } from './options.js';
