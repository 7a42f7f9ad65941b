import type { ExitStatus, Mount, Resources, SecurityConfig } from '@tscr/api';
import type { CallOptions } from '@tscr/api';

export type { CallOptions };

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
  /** Keep a stdin the task's attaches write to (`docker run -i`); without it stdin is /dev/null. */
  openStdin?: boolean;
  /** With `openStdin`: close stdin when the first attach that wrote to it ends (`docker run -i` attached). */
  stdinOnce?: boolean;
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
  /** Rotate `logPath` by size (see log-rotate.ts); default 10 MiB x 3 files. */
  logRotation?: { maxSize: number; maxFiles: number };
  /** `runc` or `crun`; default: the runtime's configured default. */
  runtime?: string;
  annotations?: Record<string, string>;
  /** Cgroup limits and process rlimits/devices; see resources.ts. */
  resources?: Resources;
  /** Capabilities, seccomp, no-new-privileges, init, groups, sysctls, /dev/shm size. */
  security?: SecurityConfig;
  /**
   * Namespaces shared instead of made new (absent: a new one): `host` joins the
   * host's, an absolute path (`/proc/<pid>/ns/ipc`) joins that one. A shared
   * uts namespace keeps its hostname (`hostname` is then not set).
   */
  namespaces?: SharedNamespaces;
}

/** See {@link TaskSpec.namespaces}. */
export interface SharedNamespaces {
  pid?: string;
  ipc?: string;
  uts?: string;
}

/** Options of {@link TaskRuntime.create}. */
export interface CreateOptions extends CallOptions {
  /**
   * The caller starts the task right after the create, with nothing to do in
   * between (no attach to join before its process runs): the runtime may let
   * the process run as soon as the OCI runtime's init is ready, while the
   * create is still finishing, instead of at {@link TaskRuntime.start}. The
   * caller must then call `start` (or `delete`) next; until then the task
   * may already be running or stopped. Runtimes that cannot do it ignore it.
   */
  startEarly?: boolean;
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
  create(spec: TaskSpec, opts?: CreateOptions): Promise<TaskState>;
  /**
   * Starts a created task. For a task created with `startEarly` it completes
   * the release (its process may already have run, or even exited: the state
   * then says `stopped`, and no error is raised).
   * @throws NotFound; FailedPrecondition if not created.
   */
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
  /**
   * Changes the cgroup limits of a live task (`runc update`); unset fields stay.
   * @throws NotFound; FailedPrecondition when not running; InvalidArgument.
   */
  update(id: string, resources: Resources, opts?: CallOptions): Promise<void>;
  /** Freezes every process of the task. @throws NotFound; FailedPrecondition when not running. */
  pause(id: string, opts?: CallOptions): Promise<void>;
  /** Thaws a paused task. @throws NotFound; FailedPrecondition when not paused. */
  resume(id: string, opts?: CallOptions): Promise<void>;
  /** One resource sample from the task's cgroups and network namespace. @throws NotFound; FailedPrecondition. */
  stats(id: string, opts?: CallOptions): Promise<TaskStats>;
  /** The processes in the task's cgroup. @throws NotFound; FailedPrecondition when not running. */
  top(id: string, opts?: CallOptions): Promise<ProcessInfo[]>;
  /**
   * Runs a process in a running task's namespaces and cgroup (`runc exec`).
   * Output flows while `session.output` is read: a consumer that stops
   * reading stops the process once the pipes fill. Aborting `opts.signal`
   * kills the process.
   * @throws NotFound (task; or details.reason `ExecutableNotFound`: args[0] is
   * not in the container, exit code 127); PermissionDenied (details.reason
   * `ExecutableNotExecutable`, 126); FailedPrecondition when the task is not
   * running; InvalidArgument (unknown user, missing working directory).
   */
  exec(id: string, spec: ExecSpec, io?: TaskIO, opts?: CallOptions): Promise<ExecSession>;
  /** Resizes the terminal of a live exec session. @throws NotFound (no such session); FailedPrecondition (no TTY). */
  resizeExec(id: string, execId: string, size: TerminalSize, opts?: CallOptions): Promise<void>;
  /**
   * Joins the task's stdio through its monitor: output from now on (not the
   * past: that is in the log) and, with `io.stdin`, input (the task must have
   * been created with `openStdin`). Output ends when the task exits, or when
   * `opts.signal` aborts (the detach).
   * @throws NotFound; FailedPrecondition when the task is not running, or
   * stdin is given and the task has none.
   */
  attach(id: string, io?: TaskIO, opts?: CallOptions): Promise<AttachSession>;
  /** Resizes the task's terminal. @throws NotFound; FailedPrecondition (no TTY, not running). */
  resize(id: string, size: TerminalSize, opts?: CallOptions): Promise<void>;
}

/** One raw resource sample of a task (counters, not rates). */
export interface TaskStats {
  /** RFC 3339 with nanoseconds. */
  read: string;
  cpuTotalNs: number;
  /** The host's CPU time over all CPUs, microseconds (for CPU %; µs keep it within 2^53). */
  systemCpuUs: number;
  onlineCpus: number;
  memoryUsage: number;
  /** The effective limit; the host's memory when unlimited. */
  memoryLimit: number;
  pids: number;
  netRxBytes: number;
  netTxBytes: number;
  blockReadBytes: number;
  blockWriteBytes: number;
}

/** One process of a task, read from /proc. */
export interface ProcessInfo {
  pid: number;
  ppid: number;
  uid: number;
  /** Start time, milliseconds since the epoch. */
  startMs: number;
  /** User + system CPU time, nanoseconds. */
  cpuNs: number;
  /** Controlling terminal (`pts/0`) or `?`. */
  tty: string;
  /** argv (empty for kernel threads and zombies). */
  args: string[];
  /** The short name from /proc/<pid>/stat. */
  comm: string;
}

/** A terminal size in character cells. */
export interface TerminalSize {
  width: number;
  height: number;
}

/** One chunk of a process's output. With a TTY everything is `stdout`. */
export interface OutputChunk {
  stream: 'stdout' | 'stderr';
  data: Uint8Array;
}

/** The stdio a caller brings to an exec or an attach. */
export interface TaskIO {
  /** Input for the process; its end closes the process's stdin. Absent: no stdin. */
  stdin?: AsyncIterable<Uint8Array>;
  /** False: discard the output (detached exec). Default true. */
  output?: boolean;
}

/** A process to run in a running task ({@link TaskRuntime.exec}). */
export interface ExecSpec {
  /** Exec ID, unique among the task's live sessions (`[A-Za-z0-9_.-]`). */
  id: string;
  /** argv; args[0] is looked up in the container's PATH. */
  args: string[];
  /** `KEY=value`, added to the task's environment. */
  env?: string[];
  /** Absolute working directory; default the task's. */
  cwd?: string;
  /** `name`, `uid`, `name:group`, `uid:gid`; default the task's user. */
  user?: string;
  /** Allocate a pseudo-TTY. */
  terminal?: boolean;
  /** Every capability. */
  privileged?: boolean;
  /** Initial terminal size (with `terminal`). */
  size?: TerminalSize;
}

/** A running exec ({@link TaskRuntime.exec}). */
export interface ExecSession {
  /** Host PID of the process (0 when not known). */
  pid: number;
  /**
   * The output, until the process and its pipes are done. Read it once; leaving
   * early drops the rest (the process runs on: abort the call to stop it).
   */
  output: AsyncIterable<OutputChunk>;
  /** Resolves when the process has exited: its code, or 128+signal. */
  exit: Promise<ExitStatus>;
}

/** A joined task ({@link TaskRuntime.attach}). */
export interface AttachSession {
  /** The output from the moment of the attach until the task exits or the call is aborted. */
  output: AsyncIterable<OutputChunk>;
}
