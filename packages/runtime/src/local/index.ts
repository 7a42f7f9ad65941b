/**
 * @tscr/runtime/local — tasks on this host: OCI spec generation, conmon + runc/crun, the
 * stdio relay, logs and their rotation, resources and security options, version probes.
 */
export { execCapture } from './exec-capture.js';
export type { ExecCaptureOptions, ExecCaptureResult } from './exec-capture.js';
export { findRelay } from './relay.js';
export { RelaySpawner } from './relay-spawner.js';
export { monitorArgs } from './conmon.js';
export type { MonitorOptions } from './conmon.js';
export { LocalTaskRuntime, createLocalTaskRuntime, DEFAULT_RUNTIMES } from './task-runtime.js';
export type { LocalTaskRuntimeOptions } from './task-runtime.js';
export {
  buildOciSpec,
  defaultMounts,
  processEnv,
  hostsFile,
  DEFAULT_CAPABILITIES,
  DEFAULT_MASKED_PATHS,
  DEFAULT_READONLY_PATHS,
} from './spec.js';
export type { OciRuntimeSpec, OciSpecOptions } from './spec.js';
export { resolveUser, resolveUserFrom } from './user.js';
export type { ResolvedUser } from './user.js';
export { DEFAULT_PATH } from './lookpath.js';
export { readLogs, logOffset, parseLogLine } from './logs.js';
export type { ReadLogsOptions } from './logs.js';
export {
  DEFAULT_LOG_ROTATION,
  LogRotator,
  logRotationOf,
  parseLogSize,
  rotateLog,
  rotatedPath,
  requestReopen,
} from './log-rotate.js';
export type { LogRotation } from './log-rotate.js';
export { runtimeVersion, monitorVersion } from './version.js';
export {
  MIN_MEMORY_BYTES,
  hostCgroupVersion,
  hostHardLimits,
  linuxResources,
  processRlimits,
  updateResources,
  validateResources,
} from './resources.js';
export type { CgroupVersion, LinuxResources } from './resources.js';
export {
  ALL_CAPABILITIES,
  INIT_PATH_IN_CONTAINER,
  applyTaskOptions,
  capabilitySet,
  checkSysctls,
  parseSecurityOpts,
  validateTaskOptions,
} from './security.js';
export type { DeviceNode, HostFacts } from './security.js';
export { defaultSeccompProfile } from './seccomp.js';
export type { SeccompProfile } from './seccomp.js';
