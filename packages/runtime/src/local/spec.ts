import { readFileSync } from 'node:fs';
import { posix } from 'node:path';
import type { OciMount, TaskSpec } from '../types.js';
import { DEFAULT_PATH } from './lookpath.js';
import type { LinuxResources } from './resources.js';
import type { SeccompProfile } from './seccomp.js';
import type { ResolvedUser } from './user.js';

/** A host device node as the OCI spec lists it. */
export interface DeviceNode {
  path: string;
  type: 'c' | 'b';
  major: number;
  minor: number;
  fileMode: number;
  uid: number;
  gid: number;
}

/** The parts of the OCI runtime-spec (config.json) that tscr writes. */
export interface OciRuntimeSpec {
  ociVersion: string;
  process: {
    terminal: boolean;
    user: { uid: number; gid: number; additionalGids?: number[] };
    args: string[];
    env: string[];
    cwd: string;
    capabilities: { bounding: string[]; effective: string[]; permitted: string[] };
    rlimits: { type: string; hard: number; soft: number }[];
    noNewPrivileges: boolean;
  };
  root: { path: string; readonly: boolean };
  hostname?: string;
  mounts: OciMount[];
  annotations?: Record<string, string>;
  linux: {
    namespaces: { type: string; path?: string }[];
    cgroupsPath: string;
    resources: LinuxResources;
    devices?: DeviceNode[];
    sysctl?: Record<string, string>;
    seccomp?: SeccompProfile;
    maskedPaths: string[];
    readonlyPaths: string[];
    /** `rshared`/`rslave` when a mount asks for that propagation (it needs the root's too). */
    rootfsPropagation?: string;
  };
}

/** What {@link buildOciSpec} needs besides the TaskSpec. */
export interface OciSpecOptions {
  /** Absolute host path of the mounted root filesystem. */
  rootfsPath: string;
  /** The resolved `process.user`. */
  user: ResolvedUser;
  /** Cgroup parent; the task's cgroup is `/<cgroupParent>/<id>`. */
  cgroupParent: string;
  /** Host files bind-mounted over the container's /etc files (resolvConf only when set). */
  etcFiles: { hostname: string; hosts: string; resolvConf?: string };
  /** The host's hard RLIMIT_NOFILE; the task never asks for more. */
  nofileHardLimit: number;
  /** A mount at `/` the runtime performs first (an overlay root kept off the host). */
  rootMount?: OciMount;
}

/** Docker's default capability set. */
export const DEFAULT_CAPABILITIES = [
  'CAP_CHOWN',
  'CAP_DAC_OVERRIDE',
  'CAP_FSETID',
  'CAP_FOWNER',
  'CAP_MKNOD',
  'CAP_NET_RAW',
  'CAP_SETGID',
  'CAP_SETUID',
  'CAP_SETFCAP',
  'CAP_SETPCAP',
  'CAP_NET_BIND_SERVICE',
  'CAP_SYS_CHROOT',
  'CAP_KILL',
  'CAP_AUDIT_WRITE',
];

/** Docker's default masked paths. */
export const DEFAULT_MASKED_PATHS = [
  '/proc/asound',
  '/proc/acpi',
  '/proc/kcore',
  '/proc/keys',
  '/proc/latency_stats',
  '/proc/timer_list',
  '/proc/timer_stats',
  '/proc/sched_debug',
  '/proc/scsi',
  '/sys/firmware',
  '/sys/devices/virtual/powercap',
];

/** Docker's default read-only paths. */
export const DEFAULT_READONLY_PATHS = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];

/** The file systems every container gets, as Docker mounts them. */
export function defaultMounts(): OciMount[] {
  return [
    { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
    {
      destination: '/dev',
      type: 'tmpfs',
      source: 'tmpfs',
      options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'],
    },
    {
      destination: '/dev/pts',
      type: 'devpts',
      source: 'devpts',
      options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'],
    },
    { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
    {
      destination: '/sys/fs/cgroup',
      type: 'cgroup',
      source: 'cgroup',
      options: ['ro', 'nosuid', 'noexec', 'nodev'],
    },
    { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
    {
      destination: '/dev/shm',
      type: 'tmpfs',
      source: 'shm',
      options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'],
    },
  ];
}

/**
 * The process environment: `env` plus a default PATH when it has none and
 * HOME (from passwd) when unset.
 */
export function processEnv(env: string[], home: string): string[] {
  const out = [...env];
  if (!out.some((e) => e.startsWith('PATH='))) out.unshift(`PATH=${DEFAULT_PATH}`);
  if (!out.some((e) => e.startsWith('HOME='))) out.push(`HOME=${home || '/'}`);
  return out;
}

/** The /etc/hosts a container gets: loopback names plus its hostname. */
export function hostsFile(hostname: string): string {
  const lines = ['127.0.0.1\tlocalhost', '::1\tlocalhost ip6-localhost ip6-loopback'];
  if (hostname && hostname !== 'localhost') lines.push(`127.0.0.1\t${hostname}`);
  return `${lines.join('\n')}\n`;
}

/** The host's hard RLIMIT_NOFILE (from /proc/self/limits); Infinity when unlimited or unknown. */
export function hostNofileHardLimit(): number {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Max open files'));
    const hard = line?.trim().split(/\s+/)[4];
    return hard && /^\d+$/.test(hard) ? Number(hard) : Infinity;
  } catch {
    return Infinity;
  }
}

/** `/<parent>/<id>` with duplicate and trailing slashes removed. */
export function cgroupsPath(parent: string, id: string): string {
  return posix.join('/', parent, id);
}

function namespaces(spec: TaskSpec): OciRuntimeSpec['linux']['namespaces'] {
  const ns: OciRuntimeSpec['linux']['namespaces'] = [];
  for (const type of ['pid', 'ipc', 'uts'] as const) {
    const shared = spec.namespaces?.[type];
    if (shared === undefined || shared === '') ns.push({ type });
    else if (shared !== 'host') ns.push({ type, path: shared });
  }
  ns.push({ type: 'mount' });
  const net = spec.network ?? { mode: 'none' };
  if (net.mode === 'none') ns.push({ type: 'network' });
  else if (net.mode === 'path') ns.push({ type: 'network', path: net.path ?? '' });
  return ns;
}

/**
 * The bind mounts of the generated /etc files, minus those `spec.mounts`
 * already puts at the same place (the container layer writes its own hosts,
 * hostname and resolv.conf): a file mounted over at once is neither written
 * nor mounted.
 */
export function etcMounts(files: OciSpecOptions['etcFiles'], readonly: boolean, mounts: OciMount[] = []): OciMount[] {
  const options = ['rbind', 'rprivate', ...(readonly ? ['ro'] : [])];
  const taken = new Set(mounts.map((m) => m.destination));
  const out: OciMount[] = [
    { destination: '/etc/hostname', type: 'bind', source: files.hostname, options },
    { destination: '/etc/hosts', type: 'bind', source: files.hosts, options },
  ];
  if (files.resolvConf) {
    out.push({ destination: '/etc/resolv.conf', type: 'bind', source: files.resolvConf, options });
  }
  return out.filter((m) => !taken.has(m.destination));
}

/**
 * Builds the OCI runtime-spec for `spec`: Docker's defaults (capabilities,
 * mounts, masked and read-only paths, RLIMIT_NOFILE 1024), pid/ipc/uts/mount
 * namespaces and a network namespace per `spec.network`, the task's cgroup
 * `/<cgroupParent>/<id>`, the generated /etc files, then `spec.mounts`.
 * Pure: writes nothing.
 */
export function buildOciSpec(spec: TaskSpec, opts: OciSpecOptions): OciRuntimeSpec {
  const nofile = Math.min(1024, opts.nofileHardLimit);
  const { uid, gid, additionalGids, home } = opts.user;
  const readonly = spec.readonlyRootfs ?? false;
  return {
    ociVersion: '1.0.2',
    process: {
      terminal: spec.process.terminal ?? false,
      user: additionalGids.length > 0 ? { uid, gid, additionalGids } : { uid, gid },
      args: spec.process.args,
      env: processEnv(spec.process.env, home),
      cwd: spec.process.cwd || '/',
      capabilities: {
        bounding: [...DEFAULT_CAPABILITIES],
        effective: [...DEFAULT_CAPABILITIES],
        permitted: [...DEFAULT_CAPABILITIES],
      },
      rlimits: [{ type: 'RLIMIT_NOFILE', hard: nofile, soft: nofile }],
      noNewPrivileges: false,
    },
    root: { path: opts.rootfsPath, readonly },
    // runc refuses a hostname without a uts namespace of the task's own.
    ...(spec.namespaces?.uts ? {} : { hostname: spec.hostname }),
    mounts: [
      ...(opts.rootMount ? [opts.rootMount] : []),
      ...defaultMounts(),
      ...etcMounts(opts.etcFiles, readonly, spec.mounts),
      ...(spec.mounts ?? []),
    ],
    ...(spec.annotations && Object.keys(spec.annotations).length > 0 ? { annotations: spec.annotations } : {}),
    linux: {
      namespaces: namespaces(spec),
      cgroupsPath: cgroupsPath(opts.cgroupParent, spec.id),
      resources: { devices: [{ allow: false, access: 'rwm' }] },
      maskedPaths: [...DEFAULT_MASKED_PATHS],
      readonlyPaths: [...DEFAULT_READONLY_PATHS],
      ...rootPropagation(spec.mounts ?? []),
    },
  };
}

/** A bind that propagates mounts back to the host (`rshared`) or from it (`rslave`) needs the root mount to do so as well. */
function rootPropagation(mounts: OciMount[]): { rootfsPropagation?: string } {
  if (mounts.some((m) => m.options.includes('rshared') || m.options.includes('shared'))) {
    return { rootfsPropagation: 'rshared' };
  }
  if (mounts.some((m) => m.options.includes('rslave') || m.options.includes('slave'))) {
    return { rootfsPropagation: 'rslave' };
  }
  return {};
}
