import { readFileSync } from 'node:fs';
import type { DeviceMapping, HostConfig, Resources, Ulimit } from '@tscr/api';
import { fromSystemError } from '@tscr/api';
import { bool, int, list, str, usageError, type FlagSpec, type FlagValues } from '../args.js';

/** Limit flags `run`, `create` and `update` share. */
export const limitFlags: FlagSpec[] = [
  { name: 'memory', short: 'm', type: 'string', valueName: 'bytes', description: 'Memory limit' },
  {
    name: 'memory-swap',
    type: 'string',
    valueName: 'bytes',
    description: "Swap limit equal to memory plus swap: '-1' to enable unlimited swap",
  },
  { name: 'memory-reservation', type: 'string', valueName: 'bytes', description: 'Memory soft limit' },
  { name: 'cpus', type: 'string', valueName: 'decimal', description: 'Number of CPUs' },
  { name: 'cpu-shares', short: 'c', type: 'int', valueName: 'int', description: 'CPU shares (relative weight)' },
  {
    name: 'cpu-period',
    type: 'int',
    valueName: 'int',
    description: 'Limit CPU CFS (Completely Fair Scheduler) period',
  },
  { name: 'cpu-quota', type: 'int', valueName: 'int', description: 'Limit CPU CFS (Completely Fair Scheduler) quota' },
  { name: 'cpuset-cpus', type: 'string', description: 'CPUs in which to allow execution (0-3, 0,1)' },
  { name: 'cpuset-mems', type: 'string', description: 'MEMs in which to allow execution (0-3, 0,1)' },
  {
    name: 'pids-limit',
    type: 'int',
    valueName: 'int',
    description: 'Tune container pids limit (set -1 for unlimited)',
  },
  {
    name: 'blkio-weight',
    type: 'int',
    valueName: 'uint16',
    description: 'Block IO (relative weight), between 10 and 1000',
  },
];

/** Security and process flags of `run` and `create`, and the limits that only apply at creation. */
export const resourceFlags: FlagSpec[] = [
  ...limitFlags,
  { name: 'ulimit', type: 'list', valueName: 'ulimit', description: 'Ulimit options (nofile=1024[:2048])' },
  { name: 'oom-kill-disable', type: 'bool', description: 'Disable OOM Killer' },
  { name: 'device', type: 'list', description: 'Add a host device to the container' },
  { name: 'cap-add', type: 'list', description: 'Add Linux capabilities' },
  { name: 'cap-drop', type: 'list', description: 'Drop Linux capabilities' },
  { name: 'privileged', type: 'bool', description: 'Give extended privileges to this container' },
  { name: 'security-opt', type: 'list', description: 'Security Options' },
  {
    name: 'init',
    type: 'bool',
    description: 'Run an init inside the container that forwards signals and reaps processes',
  },
  { name: 'group-add', type: 'list', description: 'Add additional groups to join' },
  { name: 'shm-size', type: 'string', valueName: 'bytes', description: 'Size of /dev/shm' },
  { name: 'sysctl', type: 'list', valueName: 'map', description: 'Sysctl options' },
  { name: 'cgroupns', type: 'string', description: 'Cgroup namespace to use (host|private)' },
];

const UNITS: Record<string, number> = { b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4, p: 1024 ** 5 };

/** `16m`, `1.5g`, `512k`, `100` (bytes) → bytes, as docker's RAMInBytes. `-1` stays -1 when allowed. */
export function parseBytes(value: string, flag: string, allowMinusOne = false): number {
  if (allowMinusOne && value === '-1') return -1;
  const m = /^(\d+(?:\.\d+)?)\s*([bkmgtp])?i?b?$/i.exec(value.trim());
  if (!m) throw usageError(`invalid argument ${JSON.stringify(value)} for "--${flag}" flag: invalid size`);
  const bytes = Math.floor(Number(m[1]) * UNITS[(m[2] ?? 'b').toLowerCase()]!);
  if (!Number.isSafeInteger(bytes))
    throw usageError(`invalid argument ${JSON.stringify(value)} for "--${flag}": too large`);
  return bytes;
}

/** `nofile=1024[:2048]` → Ulimit. */
export function parseUlimit(value: string): Ulimit {
  const m = /^([a-z_]+)=(-?\d+)(?::(-?\d+))?$/i.exec(value);
  if (!m) throw usageError(`invalid ulimit argument: ${value}`);
  const soft = Number(m[2]);
  const hard = m[3] === undefined ? soft : Number(m[3]);
  if (!Number.isSafeInteger(soft) || !Number.isSafeInteger(hard)) throw usageError(`ulimit out of range: ${value}`);
  return { name: m[1]!.toLowerCase(), soft, hard };
}

/** `/dev/x[:/dev/y][:rwm]` → DeviceMapping. */
export function parseDevice(value: string): DeviceMapping {
  const parts = value.split(':');
  const pathOnHost = parts[0] ?? '';
  let pathInContainer = pathOnHost;
  let cgroupPermissions = 'rwm';
  if (parts.length === 2) {
    if (/^[rwm]+$/.test(parts[1]!)) cgroupPermissions = parts[1]!;
    else pathInContainer = parts[1]!;
  } else if (parts.length === 3) {
    pathInContainer = parts[1]!;
    cgroupPermissions = parts[2]!;
  } else if (parts.length > 3) throw usageError(`invalid device specification: ${value}`);
  if (!pathOnHost.startsWith('/') || !pathInContainer.startsWith('/') || !/^[rwm]+$/.test(cgroupPermissions)) {
    throw usageError(`invalid device specification: ${value}`);
  }
  return { pathOnHost, pathInContainer, cgroupPermissions };
}

/** `--cpus 1.5` → NanoCpus. */
export function parseCpus(value: string): number {
  if (!/^\d+(\.\d+)?$/.test(value)) throw usageError(`invalid argument ${JSON.stringify(value)} for "--cpus" flag`);
  return Math.round(Number(value) * 1e9);
}

/** `seccomp=<file>` becomes `seccomp=<the file's JSON>` (as docker's client sends it). */
function securityOpts(values: string[]): string[] {
  return values.map((v) => {
    const m = /^seccomp[=:](.+)$/.exec(v);
    if (!m || m[1] === 'unconfined' || m[1]!.trimStart().startsWith('{')) return v;
    try {
      return `seccomp=${readFileSync(m[1]!, 'utf8')}`;
    } catch (err) {
      throw fromSystemError(err, `opening seccomp profile (${m[1]}) failed`);
    }
  });
}

/** The limits named by {@link limitFlags}. */
export function limitsFromFlags(flags: FlagValues): Resources {
  const r: Resources = {};
  const bytes = (flag: string, minusOne = false) => {
    const v = str(flags, flag);
    return v === undefined ? undefined : parseBytes(v, flag, minusOne);
  };
  const set = <K extends keyof Resources>(k: K, v: Resources[K] | undefined) => {
    if (v !== undefined) r[k] = v;
  };
  set('memory', bytes('memory'));
  set('memorySwap', bytes('memory-swap', true));
  set('memoryReservation', bytes('memory-reservation'));
  const cpus = str(flags, 'cpus');
  if (cpus !== undefined) r.nanoCpus = parseCpus(cpus);
  set('cpuShares', int(flags, 'cpu-shares'));
  set('cpuPeriod', int(flags, 'cpu-period'));
  set('cpuQuota', int(flags, 'cpu-quota'));
  set('cpusetCpus', str(flags, 'cpuset-cpus'));
  set('cpusetMems', str(flags, 'cpuset-mems'));
  set('pidsLimit', int(flags, 'pids-limit'));
  set('blkioWeight', int(flags, 'blkio-weight'));
  return r;
}

/** Adds the limit, security and process flags to a create request's HostConfig. */
export function applyResourceFlags(flags: FlagValues, hostConfig: HostConfig): void {
  Object.assign(hostConfig, limitsFromFlags(flags));
  const ulimits = list(flags, 'ulimit').map(parseUlimit);
  if (ulimits.length) hostConfig.ulimits = ulimits;
  const devices = list(flags, 'device').map(parseDevice);
  if (devices.length) hostConfig.devices = devices;
  if (bool(flags, 'oom-kill-disable')) hostConfig.oomKillDisable = true;
  if (list(flags, 'cap-add').length) hostConfig.capAdd = list(flags, 'cap-add');
  if (list(flags, 'cap-drop').length) hostConfig.capDrop = list(flags, 'cap-drop');
  if (bool(flags, 'privileged')) hostConfig.privileged = true;
  if (list(flags, 'security-opt').length) hostConfig.securityOpt = securityOpts(list(flags, 'security-opt'));
  if (bool(flags, 'init')) hostConfig.init = true;
  if (list(flags, 'group-add').length) hostConfig.groupAdd = list(flags, 'group-add');
  const shm = str(flags, 'shm-size');
  if (shm !== undefined) hostConfig.shmSize = parseBytes(shm, 'shm-size');
  const sysctls = list(flags, 'sysctl');
  if (sysctls.length) {
    hostConfig.sysctls = {};
    for (const s of sysctls) {
      const eq = s.indexOf('=');
      if (eq <= 0) throw usageError(`invalid sysctl ${JSON.stringify(s)}: want name=value`);
      hostConfig.sysctls[s.slice(0, eq)] = s.slice(eq + 1);
    }
  }
  const cgroupns = str(flags, 'cgroupns');
  if (cgroupns !== undefined) hostConfig.cgroupnsMode = cgroupns;
}
