import type {
  ContainerConfig,
  ContainerInfo,
  ContainerSummary,
  EndpointSettings,
  ExitStatus,
  HostConfig,
  Image,
  ImageConfig,
  LogEntry,
} from '@tscr/api';
import type { ContainerControl } from './control-types.js';
import type { CallOptions } from '@tscr/api';

export type { CallOptions };

/** What `create` needs. */
export interface CreateContainerRequest {
  /** Optional name; a random one is chosen when empty. Must match `[a-zA-Z0-9][a-zA-Z0-9_.-]*`. */
  name?: string;
  config: ContainerConfig;
  hostConfig?: HostConfig;
  /** Per network (name): aliases and a fixed address (Docker's `NetworkingConfig.EndpointsConfig`). */
  networkingConfig?: Record<string, EndpointSettings>;
  /**
   * Absolute path of the container's log file (CRI's `log_directory/log_path`),
   * made if missing and left in place when the container is removed; default: a
   * file in the container's own directory.
   */
  logPath?: string;
}

/** Options of {@link ContainerCommitter.commit}. */
export interface CommitOptions extends CallOptions {
  /** Reference to tag the new image with. */
  reference?: string;
  /** The commit message (the new history entry's comment). */
  comment?: string;
  author?: string;
  /** Freeze a running container while its layer is read; default true. */
  pause?: boolean;
  /**
   * Dockerfile-like changes (`-c`) over the container's config: set fields
   * replace, `env` and `labels` merge by key, `exposedPorts`, `volumes` and `onBuild` add up.
   */
  changes?: ImageConfig;
}

/** New images from containers (`docker commit`). */
export interface ContainerCommitter {
  /**
   * An image of the container's current filesystem (its writable layer over
   * its image's layers) and config. @throws NotFound for an unknown container
   * (or its image gone); InvalidArgument for a malformed reference.
   */
  commit(id: string, opts?: CommitOptions): Promise<Image>;
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
  /** Only entries before this time (RFC 3339 or Unix seconds). */
  until?: string;
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
export interface ContainerService extends ContainerControl, ContainerCommitter, ContainerStdio {
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

/** A terminal size in character cells. */
export interface TerminalSize {
  width: number;
  height: number;
}

/** One chunk of output; with a TTY everything is `stdout`. */
export interface OutputChunk {
  stream: 'stdout' | 'stderr';
  data: Uint8Array;
}

/** Options of {@link ContainerStdio.attachStdio}. */
export interface StdioAttachOptions extends CallOptions {
  /** Input for the container (it must have `openStdin`); its end is the container's EOF when `stdinOnce`. */
  stdin?: AsyncIterable<Uint8Array>;
  /** Default true. */
  stdout?: boolean;
  /** Default true. */
  stderr?: boolean;
  /** The caller treats the stream as a terminal: the container must have a TTY (FailedPrecondition otherwise). */
  tty?: boolean;
  /** Called once the attachment is in place: a `start` after it misses no output. */
  onAttached?: () => void;
}

/** What `docker exec` runs (Docker's `ExecConfig`). */
export interface ExecConfig {
  /** argv; cmd[0] is looked up in the container's PATH. */
  cmd: string[];
  /** `KEY=value`, over the container's environment. */
  env?: string[];
  workingDir?: string;
  user?: string;
  tty?: boolean;
  privileged?: boolean;
  attachStdin?: boolean;
  attachStdout?: boolean;
  attachStderr?: boolean;
}

/** An exec instance (Docker's `ExecInspect`). */
export interface ExecInfo {
  id: string;
  containerId: string;
  config: ExecConfig;
  running: boolean;
  /** Null until it has exited (or failed to start: 126/127 like Docker). */
  exitCode: number | null;
  /** Host PID while running, else 0. */
  pid: number;
}

/** Options of {@link ContainerStdio.startExec}. */
export interface StartExecOptions extends CallOptions {
  /** Input when the exec was created with `attachStdin`. */
  stdin?: AsyncIterable<Uint8Array>;
  /** Run in the background, its output discarded; the returned stream ends at once. */
  detach?: boolean;
  /** Initial terminal size (with `tty`). */
  size?: TerminalSize;
}

/**
 * Interactive use: stdin and output of the container's own process, and
 * processes run beside it (exec). Streams are plain AsyncIterables, so any
 * transport (gRPC, Docker's hijacked HTTP) can carry them.
 */
export interface ContainerStdio {
  /**
   * Joins the container's stdio: output from now on and, with `stdin`, input.
   * On a container that is not running, waits for its next start and joins
   * it before its process runs. Ends when the container stops, or at the abort (the detach).
   * @throws NotFound; FailedPrecondition when stdin is given without `openStdin`, or `tty` without a TTY.
   */
  attachStdio(id: string, opts?: StdioAttachOptions): AsyncIterable<OutputChunk>;
  /** Resizes the container's TTY. @throws NotFound; FailedPrecondition (not running, no TTY); InvalidArgument. */
  resize(id: string, size: TerminalSize, opts?: CallOptions): Promise<void>;
  /** Records an exec. @throws NotFound; FailedPrecondition (`container … is not running`); InvalidArgument. */
  createExec(id: string, config: ExecConfig, opts?: CallOptions): Promise<{ id: string }>;
  /**
   * Runs a created exec; the stream is its output until it exits, then
   * `inspectExec` has its exit code. Aborting, or leaving the stream, detaches:
   * the exec runs on (as Docker's), its output dropped.
   * @throws NotFound; FailedPrecondition (already started, container not running);
   * NotFound/PermissionDenied with details.reason `ExecutableNotFound`/`ExecutableNotExecutable` (exit 127/126);
   * InvalidArgument (unknown user, working directory).
   */
  startExec(execId: string, opts?: StartExecOptions): AsyncIterable<OutputChunk>;
  /** @throws NotFound. */
  inspectExec(execId: string, opts?: CallOptions): Promise<ExecInfo>;
  /** @throws NotFound; FailedPrecondition (not running, no TTY). */
  resizeExec(execId: string, size: TerminalSize, opts?: CallOptions): Promise<void>;
}
