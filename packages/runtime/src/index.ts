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
} from './types.js';
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
export { runtimeVersion, monitorVersion } from './local/version.js';
