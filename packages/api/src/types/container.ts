/**
 * Docker-shaped container model, kept close to the Engine API's
 * ContainerConfig / HostConfig / ContainerState so the Docker-compatible API
 * and the CRI become mappings.
 */

/** A mount of host storage into a container (Docker's `HostConfig.Mounts` entry). */
export interface MountSpec {
  /** `bind`, `volume` or `tmpfs`. */
  type: 'bind' | 'volume' | 'tmpfs';
  /** Host path (bind) or volume name (volume); empty for tmpfs and anonymous volumes. */
  source: string;
  /** Absolute path inside the container. */
  target: string;
  readOnly?: boolean;
  /** Extra mount options (e.g. `rprivate`, `size=64m` for tmpfs). */
  options?: string[];
}

/** What the container runs (Docker's `Config`). */
export interface ContainerConfig {
  /** Image reference or ID as the user gave it. */
  image: string;
  /** Overrides the image's `Cmd` when non-empty. */
  cmd?: string[];
  /** Overrides the image's `Entrypoint` when set (an empty array clears it). */
  entrypoint?: string[];
  /** `KEY=value`, appended over the image's env. */
  env?: string[];
  workingDir?: string;
  user?: string;
  hostname?: string;
  labels?: Record<string, string>;
  tty?: boolean;
  openStdin?: boolean;
  stopSignal?: string;
  /** Seconds to wait after the stop signal before SIGKILL. */
  stopTimeout?: number;
}

/** How the host runs it (Docker's `HostConfig`). */
export interface HostConfig {
  /** `none` (default here), `host`, or a network name (later issues). */
  networkMode?: string;
  /** `host:container[:ro]` strings, as `-v` takes them. */
  binds?: string[];
  mounts?: MountSpec[];
  /** Remove the container when it exits (`--rm`). */
  autoRemove?: boolean;
  readonlyRootfs?: boolean;
  /** OCI runtime name, `runc` or `crun`; empty means the daemon's default. */
  runtime?: string;
}

/** A container's lifecycle state names, as Docker reports them. */
export type ContainerStatus = 'created' | 'running' | 'paused' | 'restarting' | 'removing' | 'exited' | 'dead';

/** Docker's `State`. */
export interface ContainerState {
  status: ContainerStatus;
  running: boolean;
  pid: number;
  exitCode: number;
  /** Why the last start failed, if it did. */
  error: string;
  oomKilled: boolean;
  /** RFC 3339, or empty when never started. */
  startedAt: string;
  /** RFC 3339, or empty while it has not exited. */
  finishedAt: string;
}

/** A mount as it was set up for the container (inspect's `Mounts`). */
export interface MountPoint {
  type: string;
  name?: string;
  source: string;
  destination: string;
  rw: boolean;
}

/** Everything `inspect` shows. */
export interface ContainerInfo {
  id: string;
  /** Without the leading slash. */
  name: string;
  /** RFC 3339. */
  created: string;
  /** The resolved image ID. */
  image: string;
  /** The effective entrypoint + cmd after applying the image's defaults. */
  path: string;
  args: string[];
  config: ContainerConfig;
  hostConfig: HostConfig;
  state: ContainerState;
  mounts: MountPoint[];
  /** How many times it was started. */
  restartCount: number;
  /** Where its log file lives. */
  logPath: string;
  /** The root of its filesystem while mounted. */
  rootfs: string;
}

/** One row of `ps`. */
export interface ContainerSummary {
  id: string;
  names: string[];
  /** The image as the user named it. */
  image: string;
  imageId: string;
  command: string;
  created: string;
  state: ContainerStatus;
  /** Human text, e.g. `Up 3 seconds` / `Exited (0) 2 minutes ago`. */
  status: string;
  labels: Record<string, string>;
}

/** One piece of container output. */
export interface LogEntry {
  stream: 'stdout' | 'stderr';
  /** RFC 3339 with nanoseconds, as the monitor wrote it. */
  time: string;
  /** Raw bytes, line terminator included when there was one. */
  data: Uint8Array;
}

/** How a container ended. */
export interface ExitStatus {
  exitCode: number;
  /** RFC 3339. */
  exitedAt: string;
  oomKilled?: boolean;
  /** Set when the process never ran (start failure). */
  error?: string;
}
