/**
 * Docker-shaped container model, kept close to the Engine API's
 * ContainerConfig / HostConfig / ContainerState so the Docker-compatible API
 * and the CRI become mappings.
 */
import type { Resources, SecurityConfig } from './resources.js';

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
  /** With `openStdin`: close stdin when the first attach that used it ends (`docker run -i`). */
  stdinOnce?: boolean;
  stopSignal?: string;
  /** Seconds to wait after the stop signal before SIGKILL. */
  stopTimeout?: number;
  /** Overrides the image's HEALTHCHECK (`test: ['NONE']` disables it). */
  healthcheck?: HealthConfig;
}

/**
 * Docker's `Healthcheck`. `test`: `['NONE']`, `['CMD', argv…]` or
 * `['CMD-SHELL', 'command']` (run with `/bin/sh -c`); empty inherits the
 * image's. Durations in milliseconds; 0 means the default (30 s interval,
 * 30 s timeout, 0 start period, 3 retries).
 */
export interface HealthConfig {
  test?: string[];
  intervalMs?: number;
  timeoutMs?: number;
  startPeriodMs?: number;
  retries?: number;
}

/** One host side of a published port (Docker's `PortBinding`). */
export interface PortBindingEntry {
  /** Empty: every host address. */
  hostIp: string;
  /** Empty or `0`: a free port. */
  hostPort: string;
}

/** A container's settings on one network (Docker's `EndpointSettings`). */
export interface EndpointSettings {
  aliases?: string[];
  /** A fixed address (`--ip`). */
  ipamConfig?: { ipv4Address?: string };
  networkId?: string;
  ipAddress?: string;
  ipPrefixLen?: number;
  gateway?: string;
  macAddress?: string;
}

/** Docker's `NetworkSettings`: what the container has on its networks while it runs. */
export interface NetworkSettings {
  ipAddress: string;
  ipPrefixLen: number;
  gateway: string;
  macAddress: string;
  /** `80/tcp` → where it is published. */
  ports: Record<string, PortBindingEntry[]>;
  /** By network name. */
  networks: Record<string, EndpointSettings>;
  /** The network namespace file, when it has one of its own. */
  sandboxKey: string;
}

/** Docker's `RestartPolicy`: `no` (default), `always`, `unless-stopped`, `on-failure` (with an optional retry limit). */
export interface RestartPolicy {
  name: 'no' | 'always' | 'unless-stopped' | 'on-failure';
  /** With `on-failure`: give up after this many restarts; 0 means no limit. */
  maximumRetryCount?: number;
}

/** Docker's `LogConfig`. Only `k8s-file` (conmon's format); options `max-size` (e.g. `10m`), `max-file`. */
export interface LogConfig {
  type?: string;
  config?: Record<string, string>;
}

/** How the host runs it (Docker's `HostConfig`; limits and security options flattened in as Docker does). */
export interface HostConfig extends Resources, SecurityConfig {
  /** `bridge` (default), `none`, `host`, `container:<name|id>`, or a network name. */
  networkMode?: string;
  /** `host:container[:ro]` strings, as `-v` takes them. */
  binds?: string[];
  mounts?: MountSpec[];
  /** Remove the container when it exits (`--rm`). */
  autoRemove?: boolean;
  readonlyRootfs?: boolean;
  /** OCI runtime name, `runc` or `crun`; empty means the daemon's default. */
  runtime?: string;
  /** Published ports: `80/tcp` → host bindings (`-p`). */
  portBindings?: Record<string, PortBindingEntry[]>;
  /** Publish every port the image exposes on a free host port (`-P`). */
  publishAllPorts?: boolean;
  /** Nameservers for the container's resolv.conf (`--dns`). */
  dns?: string[];
  dnsSearch?: string[];
  dnsOptions?: string[];
  /** `host:ip` lines for /etc/hosts (`--add-host`). */
  extraHosts?: string[];
  /** What to do when the container exits; default `no`. */
  restartPolicy?: RestartPolicy;
  /** Log driver options (rotation). */
  logConfig?: LogConfig;
  /** The PID namespace: private (empty, default), `host`, or `container:<name|id>` (a running container's). */
  pidMode?: string;
  /** The IPC namespace: private (empty, default), `host`, or `container:<name|id>`. */
  ipcMode?: string;
  /** The UTS namespace (hostname): private (empty, default), `host`, or `container:<name|id>`. */
  utsMode?: string;
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
  /** Frozen by `pause` (then `status` is `paused` and `running` stays true). */
  paused?: boolean;
  /** RFC 3339, or empty when never started. */
  startedAt: string;
  /** RFC 3339, or empty while it has not exited. */
  finishedAt: string;
  /** Set while the container has a healthcheck. */
  health?: HealthState;
}

/** One probe's result (the last five are kept). */
export interface HealthLogEntry {
  /** RFC 3339. */
  start: string;
  end: string;
  exitCode: number;
  output: string;
}

/** Docker's `State.Health`. */
export interface HealthState {
  status: 'starting' | 'healthy' | 'unhealthy';
  failingStreak: number;
  log: HealthLogEntry[];
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
  /** How many times its restart policy has started it again (a manual start resets it). */
  restartCount: number;
  /**
   * Set by `stop` (and `kill` with SIGKILL or the stop signal), cleared by
   * `start`: holds back `unless-stopped` (and `always` until the daemon
   * restarts). Kept in the record, not sent over the wire.
   */
  manuallyStopped?: boolean;
  /** Where its log file lives. */
  logPath: string;
  /** The root of its filesystem while mounted. */
  rootfs: string;
  /** Networks: the configuration, and while running the addresses and ports. */
  networkSettings?: NetworkSettings;
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
