import { readdirSync, readFileSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { DeviceMapping, SecurityConfig } from '@tscr/api';
import { fromSystemError, invalidArgument } from '@tscr/api';
import type { TaskSpec } from '../types.js';
import { resolveInRoot, type RootView } from './lookpath.js';
import { type CgroupVersion, linuxResources, processRlimits, validateResources } from './resources.js';
import { defaultSeccompProfile, type SeccompProfile } from './seccomp.js';
import type { DeviceNode, OciRuntimeSpec } from './spec.js';

export type { DeviceNode };
import { DEFAULT_CAPABILITIES } from './spec.js';
import { parseGroup } from './user.js';

/** Every capability Linux defines, in number order (CAP_CHOWN = 0). */
export const ALL_CAPABILITIES = [
  'CAP_CHOWN',
  'CAP_DAC_OVERRIDE',
  'CAP_DAC_READ_SEARCH',
  'CAP_FOWNER',
  'CAP_FSETID',
  'CAP_KILL',
  'CAP_SETGID',
  'CAP_SETUID',
  'CAP_SETPCAP',
  'CAP_LINUX_IMMUTABLE',
  'CAP_NET_BIND_SERVICE',
  'CAP_NET_BROADCAST',
  'CAP_NET_ADMIN',
  'CAP_NET_RAW',
  'CAP_IPC_LOCK',
  'CAP_IPC_OWNER',
  'CAP_SYS_MODULE',
  'CAP_SYS_RAWIO',
  'CAP_SYS_CHROOT',
  'CAP_SYS_PTRACE',
  'CAP_SYS_PACCT',
  'CAP_SYS_ADMIN',
  'CAP_SYS_BOOT',
  'CAP_SYS_NICE',
  'CAP_SYS_RESOURCE',
  'CAP_SYS_TIME',
  'CAP_SYS_TTY_CONFIG',
  'CAP_MKNOD',
  'CAP_LEASE',
  'CAP_AUDIT_WRITE',
  'CAP_AUDIT_CONTROL',
  'CAP_SETFCAP',
  'CAP_MAC_OVERRIDE',
  'CAP_MAC_ADMIN',
  'CAP_SYSLOG',
  'CAP_WAKE_ALARM',
  'CAP_BLOCK_SUSPEND',
  'CAP_AUDIT_READ',
  'CAP_PERFMON',
  'CAP_BPF',
  'CAP_CHECKPOINT_RESTORE',
];

/** Where `--init` puts the init binary inside the container (Docker's path). */
export const INIT_PATH_IN_CONTAINER = '/sbin/docker-init';

/** Sysctls that belong to the container's own IPC namespace (Docker's list). */
const IPC_SYSCTLS = [
  'kernel.msgmax',
  'kernel.msgmnb',
  'kernel.msgmni',
  'kernel.sem',
  'kernel.shmall',
  'kernel.shmmax',
  'kernel.shmmni',
  'kernel.shm_rmid_forced',
];

/** What the host contributes to a task's spec, gathered once (fakes in unit tests). */
export interface HostFacts {
  cgroupVersion: CgroupVersion;
  /** Hard limits by ulimit name; unlimited ones absent. */
  hardLimits: ReadonlyMap<string, number>;
  /** The highest capability number the kernel knows (/proc/sys/kernel/cap_last_cap). */
  lastCap: number;
  /**
   * The capabilities the daemon may hand out (its bounding set, /proc/self/status CapBnd);
   * a host can withhold some from root (here CAP_SYS_RESOURCE). Undefined: all up to `lastCap`.
   */
  heldCaps?: ReadonlySet<string>;
  onlineCpus: number;
  /** A static init binary (tini) to bind-mount for `init`; undefined when none is installed. */
  initBinary?: string;
  /** A host device node by path. @throws InvalidArgument when it is not a device. */
  device(path: string): DeviceNode;
  /** Every device node directly under /dev (for `privileged`). */
  hostDevices(): DeviceNode[];
}

function major(rdev: number): number {
  return Number((BigInt(rdev) >> 8n) & 0xfffn) | Number((BigInt(rdev) >> 32n) & ~0xfffn);
}

function minor(rdev: number): number {
  return Number(BigInt(rdev) & 0xffn) | Number((BigInt(rdev) >> 12n) & ~0xffn);
}

/** Reads a device node's numbers. @throws InvalidArgument when missing or not a device. */
export function statDevice(path: string): DeviceNode {
  let st: ReturnType<typeof statSync>;
  try {
    st = statSync(path);
  } catch (err) {
    throw invalidArgument(`error gathering device information while adding custom device "${path}": no such file`, {
      cause: err,
    });
  }
  if (!st.isCharacterDevice() && !st.isBlockDevice()) {
    throw invalidArgument(`error gathering device information while adding custom device "${path}": not a device node`);
  }
  return {
    path,
    type: st.isCharacterDevice() ? 'c' : 'b',
    major: major(st.rdev),
    minor: minor(st.rdev),
    fileMode: st.mode & 0o7777,
    uid: st.uid,
    gid: st.gid,
  };
}

/** The facts of this host, read from /proc and /sys. */
export function readHostFacts(
  cgroupVersion: CgroupVersion,
  hardLimits: ReadonlyMap<string, number>,
  initCandidates = ['/usr/bin/tini-static', '/usr/bin/catatonit', '/usr/bin/docker-init'],
): HostFacts {
  let lastCap = ALL_CAPABILITIES.length - 1;
  try {
    lastCap = Number(readFileSync('/proc/sys/kernel/cap_last_cap', 'utf8').trim());
  } catch {
    /* keep the full list */
  }
  let heldCaps: Set<string> | undefined;
  try {
    const hex = /^CapBnd:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
    if (hex) {
      const mask = BigInt(`0x${hex}`);
      heldCaps = new Set(ALL_CAPABILITIES.filter((_, i) => (mask >> BigInt(i)) & 1n));
    }
  } catch {
    /* every capability */
  }
  const initBinary = initCandidates.find((p) => {
    try {
      return statSync(p).isFile();
    } catch {
      return false;
    }
  });
  let onlineCpus = 1;
  try {
    onlineCpus = readFileSync('/proc/stat', 'utf8')
      .split('\n')
      .filter((l) => /^cpu\d+ /.test(l)).length;
  } catch {
    /* one */
  }
  return {
    cgroupVersion,
    hardLimits,
    lastCap,
    ...(heldCaps ? { heldCaps } : {}),
    onlineCpus,
    ...(initBinary ? { initBinary } : {}),
    device: statDevice,
    hostDevices: () =>
      readdirSync('/dev')
        .map((name) => {
          try {
            return statDevice(`/dev/${name}`);
          } catch {
            return undefined;
          }
        })
        .filter((d): d is DeviceNode => d !== undefined && !d.path.startsWith('/dev/pts')),
  };
}

function capName(name: string): string {
  const upper = name.trim().toUpperCase();
  return upper === 'ALL' || upper.startsWith('CAP_') ? upper : `CAP_${upper}`;
}

/**
 * The capability set: Docker's defaults, plus `capAdd`, minus `capDrop`
 * (`ALL` on either side), or every known one the daemon holds when privileged (`held`).
 * @throws InvalidArgument for an unknown capability.
 */
export function capabilitySet(sec: SecurityConfig | undefined, lastCap: number, held?: ReadonlySet<string>): string[] {
  const known = ALL_CAPABILITIES.slice(0, lastCap + 1).filter((c) => !held || held.has(c));
  if (sec?.privileged) return known;
  const add = (sec?.capAdd ?? []).map(capName);
  const drop = (sec?.capDrop ?? []).map(capName);
  for (const c of [...add, ...drop]) {
    if (c !== 'ALL' && !ALL_CAPABILITIES.includes(c)) {
      throw invalidArgument(`unknown capability: "${c}"`, { details: { field: 'capabilities' } });
    }
  }
  const caps = drop.includes('ALL') ? [] : DEFAULT_CAPABILITIES.filter((c) => !drop.includes(c));
  if (add.includes('ALL')) return [...known];
  for (const c of add) if (!caps.includes(c) && known.includes(c)) caps.push(c);
  return caps;
}

/** Parsed `--security-opt` entries. @throws InvalidArgument for an unknown option. */
export function parseSecurityOpts(opts: string[] | undefined): { noNewPrivileges: boolean; seccomp?: string } {
  let noNewPrivileges = false;
  let seccomp: string | undefined;
  for (const raw of opts ?? []) {
    const sep = raw.search(/[=:]/);
    const key = sep < 0 ? raw : raw.slice(0, sep);
    const value = sep < 0 ? undefined : raw.slice(sep + 1);
    if (key === 'no-new-privileges') {
      if (value !== undefined && value !== 'true' && value !== 'false') {
        throw invalidArgument(`invalid --security-opt ${raw}: no-new-privileges takes true or false`);
      }
      noNewPrivileges = value !== 'false';
    } else if (key === 'seccomp' && value) {
      seccomp = value;
    } else if (key === 'label' || key === 'apparmor') {
      // No SELinux or AppArmor here: accepted and ignored, as Docker does without them.
    } else {
      throw invalidArgument(`invalid --security-opt: ${JSON.stringify(raw)}`, { details: { field: 'securityOpt' } });
    }
  }
  return seccomp === undefined ? { noNewPrivileges } : { noNewPrivileges, seccomp };
}

function seccompProfile(value: string | undefined, caps: string[]): SeccompProfile | undefined {
  if (value === undefined || value === 'default' || value === 'builtin') return defaultSeccompProfile(caps);
  if (value === 'unconfined') return undefined;
  try {
    const profile = JSON.parse(value) as SeccompProfile;
    if (typeof profile?.defaultAction !== 'string') throw new Error('no defaultAction');
    return profile;
  } catch (err) {
    throw invalidArgument('invalid seccomp profile: want "unconfined" or the profile JSON itself', { cause: err });
  }
}

/** Checks `--sysctl` names: only namespaced ones (IPC, and net.* with a network namespace of its own). */
export function checkSysctls(sysctls: Record<string, string> | undefined, hostNetwork: boolean): void {
  for (const key of Object.keys(sysctls ?? {})) {
    if (IPC_SYSCTLS.includes(key) || key.startsWith('fs.mqueue.')) continue;
    if (key.startsWith('net.')) {
      if (hostNetwork) throw invalidArgument(`sysctl "${key}" is not allowed with the host network namespace`);
      continue;
    }
    throw invalidArgument(`sysctl "${key}" is not allowed: it is not in a namespace the container owns`, {
      details: { field: 'sysctls' },
    });
  }
}

function parseDevice(d: DeviceMapping): DeviceMapping {
  const perms = d.cgroupPermissions || 'rwm';
  if (!/^[rwm]{1,3}$/.test(perms)) throw invalidArgument(`invalid device cgroup permissions: ${perms}`);
  if (!d.pathOnHost.startsWith('/')) throw invalidArgument(`invalid device path: ${d.pathOnHost}`);
  const inContainer = d.pathInContainer || d.pathOnHost;
  if (!inContainer.startsWith('/')) throw invalidArgument(`invalid device path in the container: ${inContainer}`);
  return { pathOnHost: d.pathOnHost, pathInContainer: inContainer, cgroupPermissions: perms };
}

/** Validates a TaskSpec's resources and security options before anything is made. @throws InvalidArgument. */
export function validateTaskOptions(spec: TaskSpec, facts: HostFacts): void {
  if (spec.resources) validateResources(spec.resources, facts.onlineCpus);
  processRlimits(spec.resources?.ulimits, facts.hardLimits);
  capabilitySet(spec.security, facts.lastCap);
  const sec = parseSecurityOpts(spec.security?.securityOpt);
  seccompProfile(sec.seccomp, []);
  checkSysctls(spec.security?.sysctls, spec.network?.mode === 'host');
  for (const d of spec.resources?.devices ?? []) facts.device(parseDevice(d).pathOnHost);
  const shm = spec.security?.shmSize;
  if (shm !== undefined && (!Number.isInteger(shm) || shm < 0 || shm > Number.MAX_SAFE_INTEGER)) {
    throw invalidArgument(`invalid shmSize: ${shm}`);
  }
  if (spec.security?.init && !facts.initBinary) {
    throw invalidArgument('--init: no init binary on this host (install tini or catatonit)');
  }
  const ns = spec.security?.cgroupnsMode;
  if (ns && ns !== 'host' && ns !== 'private') throw invalidArgument(`invalid cgroupns mode: ${ns}`);
}

/**
 * Applies the task's resources and security options to a spec built by
 * `buildOciSpec`: cgroup limits, rlimits, capabilities, seccomp,
 * no-new-privileges, devices, sysctls, /dev/shm size, the cgroup namespace,
 * and `--init` (the host's tini bind-mounted read-only and put before argv).
 * `privileged` lifts capabilities, seccomp, masked paths and device rules.
 * @throws InvalidArgument (see {@link validateTaskOptions}).
 */
export function applyTaskOptions(config: OciRuntimeSpec, spec: TaskSpec, facts: HostFacts): OciRuntimeSpec {
  validateTaskOptions(spec, facts);
  const sec = spec.security ?? {};
  const opts = parseSecurityOpts(sec.securityOpt);
  const caps = capabilitySet(sec, facts.lastCap, facts.heldCaps);
  config.process.capabilities = { bounding: caps, effective: [...caps], permitted: [...caps] };
  config.process.rlimits = processRlimits(spec.resources?.ulimits, facts.hardLimits);
  config.process.noNewPrivileges = opts.noNewPrivileges;
  const resources = linuxResources(spec.resources, facts.cgroupVersion);
  const devices: DeviceNode[] = [];
  for (const d of (spec.resources?.devices ?? []).map(parseDevice)) {
    const node = facts.device(d.pathOnHost);
    devices.push({ ...node, path: d.pathInContainer });
    resources.devices.push({
      allow: true,
      type: node.type,
      major: node.major,
      minor: node.minor,
      access: d.cgroupPermissions,
    });
  }
  if (sec.privileged) {
    resources.devices = [{ allow: true, access: 'rwm' }];
    const taken = new Set(devices.map((d) => d.path));
    for (const d of facts.hostDevices()) if (!taken.has(d.path)) devices.push(d);
    config.linux.maskedPaths = [];
    config.linux.readonlyPaths = [];
    for (const m of config.mounts) {
      if (m.destination === '/sys' || m.destination === '/sys/fs/cgroup') {
        m.options = m.options.filter((o) => o !== 'ro');
      }
    }
  } else {
    const profile = seccompProfile(opts.seccomp, caps);
    if (profile) config.linux.seccomp = profile;
    if (sec.maskedPaths) config.linux.maskedPaths = [...sec.maskedPaths];
    if (sec.readonlyPaths) config.linux.readonlyPaths = [...sec.readonlyPaths];
  }
  config.linux.resources = resources;
  if (devices.length > 0) config.linux.devices = devices;
  if (sec.sysctls && Object.keys(sec.sysctls).length > 0) config.linux.sysctl = { ...sec.sysctls };
  if (sec.shmSize) {
    const shm = config.mounts.find((m) => m.destination === '/dev/shm');
    if (shm) shm.options = [...shm.options.filter((o) => !o.startsWith('size=')), `size=${sec.shmSize}`];
  }
  if (sec.cgroupnsMode === 'private') config.linux.namespaces.push({ type: 'cgroup' });
  if (sec.init && facts.initBinary) {
    config.mounts.push({
      destination: INIT_PATH_IN_CONTAINER,
      type: 'bind',
      source: facts.initBinary,
      options: ['rbind', 'ro', 'rprivate'],
    });
    config.process.args = [INIT_PATH_IN_CONTAINER, '--', ...config.process.args];
  }
  return config;
}

/**
 * The GIDs of `--group-add` entries: numbers as they are, names looked up in
 * the container's /etc/group.
 * @throws InvalidArgument for an unknown group name.
 */
export async function resolveGroupAdd(root: RootView, groups: string[] | undefined): Promise<number[]> {
  if (!groups?.length) return [];
  let text = '';
  if (groups.some((g) => !/^\d+$/.test(g))) {
    const host = await resolveInRoot(root, '/etc/group');
    if (host) {
      try {
        text = await readFile(host, 'utf8');
      } catch (err) {
        throw fromSystemError(err, 'cannot read /etc/group');
      }
    }
  }
  const entries = parseGroup(text);
  return groups.map((g) => {
    if (/^\d+$/.test(g)) return Number(g);
    const entry = entries.find((e) => e.name === g);
    if (!entry) throw invalidArgument(`unable to find group ${g}: no matching entries in group file`);
    return entry.gid;
  });
}
