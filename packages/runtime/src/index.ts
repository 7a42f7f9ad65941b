/**
 * @tscr/runtime — OCI runtime-spec generation and a task driver that runs
 * each task under its own conmon monitor with runc or crun. The gRPC server
 * and client live behind `@tscr/runtime/grpc`.
 * This entry holds the interface types and pure helpers only (nothing that
 * touches the host); the local implementation is `@tscr/runtime/local`.
 */
export type {
  CallOptions,
  CreateOptions,
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
export { parseSignal } from './local/signals.js';
export { RESOURCE_KEYS, SECURITY_KEYS, pickResources, pickSecurity } from './options.js';
