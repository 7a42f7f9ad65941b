import type { ExitStatus, Mount } from '@tscr/api';

/** Options every call takes. */
export interface CallOptions {
  signal?: AbortSignal;
}

/** The process a task runs. */
export interface ProcessSpec {
  /** argv; `args[0]` is looked up in PATH inside the container. */
  args: string[];
  /** `KEY=value`. */
  env: string[];
  /** Absolute working directory inside the container. */
  cwd: string;
  /** `name`, `uid`, `name:group`, `uid:gid`; resolved in the rootfs' /etc/passwd and /etc/group. */
  user?: string;
  terminal?: boolean;
}

/** An OCI runtime-spec mount. */
export interface OciMount {
  destination: string;
  type: string;
  source: string;
  options: string[];
}

/** Which network namespace the task gets. */
export interface NetworkNamespace {
  /** `none`: a new namespace with only loopback; `host`: the host's; `path`: join `path`. */
  mode: 'none' | 'host' | 'path';
  path?: string;
}

/** Everything needed to create a task. */
export interface TaskSpec {
  /** Unique task ID (the container ID). */
  id: string;
  /** Mounts that make up the root filesystem (from the image layer's snapshotter). */
  rootfs: Mount[];
  process: ProcessSpec;
  hostname: string;
  readonlyRootfs?: boolean;
  /** Extra mounts (volumes, binds, tmpfs). */
  mounts?: OciMount[];
  network?: NetworkNamespace;
  /** File the monitor appends the task's output to. */
  logPath: string;
  /** `runc` or `crun`; default: the runtime's configured default. */
  runtime?: string;
  annotations?: Record<string, string>;
}

/** `created` (process waiting to exec), `running`, `stopped`. */
export type TaskStatus = 'created' | 'running' | 'stopped';

/** What the runtime knows about a task. */
export interface TaskState {
  id: string;
  status: TaskStatus;
  /** Host PID of the task's init process; 0 when not running. */
  pid: number;
  /** Set once stopped. */
  exitStatus?: ExitStatus;
  /** The OCI bundle directory. */
  bundle: string;
  /**
   * Where the host sees the task's root filesystem: its mount point, or
   * `/proc/<pid>/root` when an overlay root is mounted inside the container's
   * own mount namespace (then empty while not running).
   */
  rootfs: string;
}

/**
 * Runs OCI tasks. Each task has a monitor process of its own (conmon) that
 * outlives the caller, so tasks survive a daemon restart.
 */
export interface TaskRuntime {
  /**
   * Mounts the rootfs, writes the bundle, starts the monitor and the OCI
   * runtime's `create`. On failure everything is undone.
   * @throws AlreadyExists; NotFound (code `NotFound`, details.reason
   * `ExecutableNotFound`) when args[0] is not in the image; InvalidArgument.
   */
  create(spec: TaskSpec, opts?: CallOptions): Promise<TaskState>;
  /** Starts a created task. @throws NotFound; FailedPrecondition if not created. */
  start(id: string, opts?: CallOptions): Promise<TaskState>;
  /** Sends a signal (`SIGTERM`, `TERM`, `15`). @throws NotFound; InvalidArgument; FailedPrecondition if stopped. */
  kill(id: string, signal: string, opts?: CallOptions): Promise<void>;
  /** Resolves when the task has exited (at once if it already has). @throws NotFound. */
  wait(id: string, opts?: CallOptions): Promise<ExitStatus>;
  /** @throws NotFound. */
  state(id: string, opts?: CallOptions): Promise<TaskState>;
  /** Every task this runtime has, including ones created before a restart. */
  list(opts?: CallOptions): Promise<TaskState[]>;
  /**
   * Removes a stopped task: OCI runtime state, rootfs mount, bundle. With
   * `force` a live task is killed first. Returns its exit status if known.
   * @throws NotFound; FailedPrecondition when running without force.
   */
  delete(id: string, opts?: CallOptions & { force?: boolean }): Promise<ExitStatus | undefined>;
}
