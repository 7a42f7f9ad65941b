/**
 * Resource limits and security options of a container, with Docker's
 * `HostConfig` names (flattened into {@link HostConfig} as Docker does).
 */

/** A process resource limit (`--ulimit nofile=1024:2048`). */
export interface Ulimit {
  /** Without the `RLIMIT_` prefix, lower case: `nofile`, `nproc`, `core`… */
  name: string;
  soft: number;
  hard: number;
}

/** A host device made available in the container (`--device /dev/x[:/dev/y][:rwm]`). */
export interface DeviceMapping {
  pathOnHost: string;
  /** Default: the same path as on the host. */
  pathInContainer: string;
  /** Any of `r`, `w`, `m`; default `rwm`. */
  cgroupPermissions: string;
}

/** Limits `tscr update` can change on a running container (Docker's `Resources`). Unset means unlimited. */
export interface Resources {
  /** Memory limit in bytes (`--memory`); at least 6 MiB. */
  memory?: number;
  /** Memory + swap in bytes (`--memory-swap`); -1 means unlimited swap. */
  memorySwap?: number;
  /** Soft limit in bytes (`--memory-reservation`). */
  memoryReservation?: number;
  /** CPUs in units of 1e-9 (`--cpus 1.5` → 1.5e9). */
  nanoCpus?: number;
  /** Relative weight (`--cpu-shares`, 2..262144). */
  cpuShares?: number;
  /** CFS period in microseconds (`--cpu-period`). */
  cpuPeriod?: number;
  /** CFS quota in microseconds (`--cpu-quota`). */
  cpuQuota?: number;
  /** `0-3`, `0,1` (`--cpuset-cpus`). */
  cpusetCpus?: string;
  /** Memory nodes (`--cpuset-mems`). */
  cpusetMems?: string;
  /** Maximum number of processes (`--pids-limit`); 0 or -1 means unlimited. */
  pidsLimit?: number;
  /** Block I/O weight, 10..1000 (`--blkio-weight`). */
  blkioWeight?: number;
  /** Do not OOM-kill the container (`--oom-kill-disable`). */
  oomKillDisable?: boolean;
  /** Process limits (`--ulimit`); never above the host's hard limit. */
  ulimits?: Ulimit[];
  /** Host devices (`--device`). */
  devices?: DeviceMapping[];
}

/** Security and process options of a container (Docker's `HostConfig` names). */
export interface SecurityConfig {
  /** Capabilities added to the default set: `NET_ADMIN`, `CAP_SYS_TIME`, `ALL`. */
  capAdd?: string[];
  /** Capabilities removed from the default set (`ALL` drops every one). */
  capDrop?: string[];
  /** Every capability, every device, no seccomp, no masked paths (`--privileged`). */
  privileged?: boolean;
  /** `no-new-privileges[:true|false]`, `seccomp=unconfined`, `seccomp=<profile.json>`. */
  securityOpt?: string[];
  /** Run an init (tini) as PID 1 that reaps zombies and forwards signals (`--init`). */
  init?: boolean;
  /** Extra groups of the process: names (from the image's /etc/group) or GIDs (`--group-add`). */
  groupAdd?: string[];
  /** Size of /dev/shm in bytes (`--shm-size`); default 64 MiB. */
  shmSize?: number;
  /** Namespaced kernel parameters (`--sysctl net.ipv4.ip_forward=1`). */
  sysctls?: Record<string, string>;
  /** `private` (default) or `host` (`--cgroupns`). */
  cgroupnsMode?: string;
  /** Paths made inaccessible; absent: the default list (`/proc/kcore`…), empty: none. Ignored when privileged. */
  maskedPaths?: string[];
  /** Paths made read-only; absent: the default list (`/proc/sys`…), empty: none. Ignored when privileged. */
  readonlyPaths?: string[];
}

/** One resource sample of a running container (`tscr stats`). */
export interface ContainerStats {
  id: string;
  name: string;
  /** RFC 3339 with nanoseconds. */
  read: string;
  /** CPU use in percent of one CPU (100% = one full CPU), over the last interval. */
  cpuPercent: number;
  /** Total CPU time of the container, nanoseconds. */
  cpuTotalNs: number;
  /** Memory in use, bytes (page cache excluded, as Docker shows it). */
  memoryUsage: number;
  /** Memory limit, bytes (the host's memory when unlimited). */
  memoryLimit: number;
  memoryPercent: number;
  netRxBytes: number;
  netTxBytes: number;
  blockReadBytes: number;
  blockWriteBytes: number;
  pids: number;
}

/** The processes of a container as `tscr top` prints them: ps-style titles and rows. */
export interface ContainerTop {
  titles: string[];
  processes: string[][];
}

/** What `tscr container diff` reports: A(dded), C(hanged), D(eleted). */
export interface FilesystemChange {
  kind: 'A' | 'C' | 'D';
  /** Absolute path inside the container. */
  path: string;
}

/** A file's stat for archive calls (Docker's `X-Docker-Container-Path-Stat`). */
export interface PathStat {
  name: string;
  size: number;
  /** Go-style mode: permission bits plus type bits (dir 0x80000000, symlink 0x08000000). */
  mode: number;
  /** RFC 3339. */
  mtime: string;
  /** Symlink target, or empty. */
  linkTarget: string;
}
