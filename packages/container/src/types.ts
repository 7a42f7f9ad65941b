import type { ContainerConfig, ContainerInfo, ContainerSummary, ExitStatus, HostConfig, LogEntry } from '@tscr/api';

/** Options every call takes. */
export interface CallOptions {
  signal?: AbortSignal;
}

/** What `create` needs. */
export interface CreateContainerRequest {
  /** Optional name; a random one is chosen when empty. Must match `[a-zA-Z0-9][a-zA-Z0-9_.-]*`. */
  name?: string;
  config: ContainerConfig;
  hostConfig?: HostConfig;
}

/** `not-running` (default), `next-exit`, `removed` — as Docker's wait conditions. */
export type WaitCondition = 'not-running' | 'next-exit' | 'removed';

/** Options of {@link ContainerService.logs}. */
export interface LogsOptions extends CallOptions {
  follow?: boolean;
  /** Default true. */
  stdout?: boolean;
  /** Default true. */
  stderr?: boolean;
  /** Only the last N lines. */
  tail?: number;
  /** RFC 3339 or Unix seconds. */
  since?: string;
}

/** Options of {@link ContainerService.attach}. */
export interface AttachOptions extends CallOptions {
  /** Default true. */
  stdout?: boolean;
  /** Default true. */
  stderr?: boolean;
  /**
   * Called once the attachment is in place (over gRPC: once the server says
   * so). Calling `start` after this misses no output, however fast the
   * container exits.
   */
  onAttached?: () => void;
}

/**
 * Docker-shaped containers. Every `id` argument accepts a full ID, an
 * unambiguous ID prefix or a name.
 */
export interface ContainerService {
  /**
   * Records the container and prepares its root filesystem.
   * @throws NotFound (image); AlreadyExists (name in use); InvalidArgument.
   */
  create(req: CreateContainerRequest, opts?: CallOptions): Promise<{ id: string; warnings: string[] }>;
  /**
   * Starts it. @throws NotFound; FailedPrecondition; NotFound with
   * details.reason `ExecutableNotFound` when the command is not in the image.
   */
  start(id: string, opts?: CallOptions): Promise<void>;
  /** Stop signal, then SIGKILL after `timeout` seconds (default: the container's, else 10). */
  stop(id: string, opts?: CallOptions & { timeout?: number }): Promise<void>;
  /** @throws FailedPrecondition when not running; InvalidArgument for a bad signal. */
  kill(id: string, signal?: string, opts?: CallOptions): Promise<void>;
  /** Resolves with the exit status once the condition holds. */
  wait(id: string, opts?: CallOptions & { condition?: WaitCondition }): Promise<ExitStatus>;
  /** @throws FailedPrecondition when running without `force`. */
  remove(id: string, opts?: CallOptions & { force?: boolean; volumes?: boolean }): Promise<void>;
  /** Running containers, or all with `all`. Newest first. */
  list(opts?: CallOptions & { all?: boolean }): Promise<ContainerSummary[]>;
  inspect(id: string, opts?: CallOptions): Promise<ContainerInfo>;
  /** Recorded output; with `follow`, live output until the container stops. */
  logs(id: string, opts?: LogsOptions): AsyncIterable<LogEntry>;
  /** Output from now until the container stops (call before `start` to miss nothing). */
  attach(id: string, opts?: AttachOptions): AsyncIterable<LogEntry>;
}
