import { readFileSync, statfsSync } from 'node:fs';
import type { Resources, Ulimit } from '@tscr/api';
import { invalidArgument } from '@tscr/api';

/** Docker's minimum memory limit: below it a container cannot even start. */
export const MIN_MEMORY_BYTES = 6 * 1024 * 1024;
/** The CFS period `--cpus` is expressed against (microseconds). */
export const DEFAULT_CPU_PERIOD = 100_000;
/** Anything above this (8 EiB, past int64 in practice) is refused as absurd. */
const MAX_BYTES = Number.MAX_SAFE_INTEGER;
const CGROUP2_SUPER_MAGIC = 0x63677270;
const CPUSET = /^\d+(-\d+)?(,\d+(-\d+)?)*$/;

/** Which cgroup hierarchy the OCI runtime drives: `v1` (legacy or hybrid) or `v2` (unified). */
export type CgroupVersion = 'v1' | 'v2';

/** The cgroup version of this host: v2 when /sys/fs/cgroup itself is a cgroup2 mount. */
export function hostCgroupVersion(): CgroupVersion {
  try {
    return statfsSync('/sys/fs/cgroup').type === CGROUP2_SUPER_MAGIC ? 'v2' : 'v1';
  } catch {
    return 'v1';
  }
}

/** OCI `linux.resources` (the parts tscr sets). */
export interface LinuxResources {
  devices: { allow: boolean; access: string; type?: string; major?: number; minor?: number }[];
  memory?: { limit?: number; swap?: number; reservation?: number; disableOOMKiller?: boolean };
  cpu?: { shares?: number; quota?: number; period?: number; cpus?: string; mems?: string };
  pids?: { limit: number };
  blockIO?: { weight: number };
}

/** The RLIMIT names `--ulimit` accepts (`nofile` → `RLIMIT_NOFILE`). */
export const ULIMIT_NAMES = [
  'as',
  'core',
  'cpu',
  'data',
  'fsize',
  'locks',
  'memlock',
  'msgqueue',
  'nice',
  'nofile',
  'nproc',
  'rss',
  'rtprio',
  'rttime',
  'sigpending',
  'stack',
] as const;

/** /proc/self/limits row titles, by ulimit name. */
const LIMIT_TITLES: Record<string, string> = {
  as: 'Max address space',
  core: 'Max core file size',
  cpu: 'Max cpu time',
  data: 'Max data size',
  fsize: 'Max file size',
  locks: 'Max file locks',
  memlock: 'Max locked memory',
  msgqueue: 'Max msgqueue size',
  nice: 'Max nice priority',
  nofile: 'Max open files',
  nproc: 'Max processes',
  rss: 'Max resident set',
  rtprio: 'Max realtime priority',
  rttime: 'Max realtime timeout',
  sigpending: 'Max pending signals',
  stack: 'Max stack size',
};

/** The host's hard limits by ulimit name (from /proc/self/limits); unlimited ones are absent. */
export function hostHardLimits(text?: string): Map<string, number> {
  let body = text;
  if (body === undefined) {
    try {
      body = readFileSync('/proc/self/limits', 'utf8');
    } catch {
      return new Map();
    }
  }
  const out = new Map<string, number>();
  for (const [name, title] of Object.entries(LIMIT_TITLES)) {
    const line = body.split('\n').find((l) => l.startsWith(title));
    const hard = line?.slice(title.length).trim().split(/\s+/)[1];
    if (hard && /^\d+$/.test(hard)) out.set(name, Number(hard));
  }
  return out;
}

function checkBytes(name: string, v: number | undefined, min = 0): void {
  if (v === undefined) return;
  if (!Number.isInteger(v) || v < min || v > MAX_BYTES) {
    throw invalidArgument(`invalid ${name}: ${v}`, { details: { field: name } });
  }
}

/**
 * Checks limits the way Docker does: memory ≥ 6 MiB, swap ≥ memory (or -1),
 * CPU values in range, cpusets well-formed, no negative or absurd numbers.
 * @throws InvalidArgument naming the field.
 */
export function validateResources(r: Resources, onlineCpus = Number.POSITIVE_INFINITY): void {
  if (r.memory !== undefined && r.memory !== 0) {
    checkBytes('memory', r.memory);
    if (r.memory < MIN_MEMORY_BYTES) {
      throw invalidArgument('Minimum memory limit allowed is 6MB', { details: { field: 'memory' } });
    }
  }
  if (r.memorySwap !== undefined && r.memorySwap !== -1 && r.memorySwap !== 0) {
    checkBytes('memorySwap', r.memorySwap);
    if (!r.memory) {
      throw invalidArgument('You should always set the Memory limit when using Memoryswap limit', {
        details: { field: 'memorySwap' },
      });
    }
    if (r.memorySwap < r.memory) {
      throw invalidArgument('Minimum memoryswap limit should be larger than memory limit', {
        details: { field: 'memorySwap' },
      });
    }
  }
  checkBytes('memoryReservation', r.memoryReservation);
  if (r.memory && r.memoryReservation && r.memoryReservation > r.memory) {
    throw invalidArgument('Minimum memory limit can not be less than memory reservation limit', {
      details: { field: 'memoryReservation' },
    });
  }
  if (r.nanoCpus !== undefined && r.nanoCpus !== 0) {
    checkBytes('nanoCpus', r.nanoCpus, 1);
    if (r.nanoCpus < 1e7 || r.nanoCpus > onlineCpus * 1e9) {
      const max = Number.isFinite(onlineCpus) ? `${onlineCpus}.00` : 'the number of CPUs';
      throw invalidArgument(`Range of CPUs is from 0.01 to ${max}, as there are only ${onlineCpus} CPUs available`, {
        details: { field: 'nanoCpus' },
      });
    }
    if (r.cpuQuota) throw invalidArgument('Conflicting options: CPU Quota cannot be set together with NanoCPUs');
  }
  checkBytes('cpuShares', r.cpuShares);
  if (r.cpuShares && (r.cpuShares < 2 || r.cpuShares > 262_144)) {
    throw invalidArgument(`invalid cpuShares ${r.cpuShares}: the range is 2 to 262144`, {
      details: { field: 'cpuShares' },
    });
  }
  if (r.cpuPeriod && (r.cpuPeriod < 1000 || r.cpuPeriod > 1_000_000 || !Number.isInteger(r.cpuPeriod))) {
    throw invalidArgument('CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)', {
      details: { field: 'cpuPeriod' },
    });
  }
  if (r.cpuQuota && r.cpuQuota !== -1 && (r.cpuQuota < 1000 || !Number.isInteger(r.cpuQuota))) {
    throw invalidArgument('CPU cfs quota can not be less than 1ms (i.e. 1000)', { details: { field: 'cpuQuota' } });
  }
  for (const [field, v] of [
    ['cpusetCpus', r.cpusetCpus],
    ['cpusetMems', r.cpusetMems],
  ] as const) {
    if (v !== undefined && v !== '' && !CPUSET.test(v)) {
      throw invalidArgument(`invalid ${field} ${JSON.stringify(v)}: want a list like 0-2,4`, { details: { field } });
    }
  }
  if (r.cpusetCpus && Number.isFinite(onlineCpus)) {
    const highest = Math.max(...r.cpusetCpus.split(/[,-]/).map(Number));
    if (highest >= onlineCpus) {
      throw invalidArgument(
        `Requested CPUs are not available - requested ${r.cpusetCpus}, available: 0-${onlineCpus - 1}`,
        {
          details: { field: 'cpusetCpus' },
        },
      );
    }
  }
  if (r.pidsLimit !== undefined && (!Number.isInteger(r.pidsLimit) || r.pidsLimit < -1 || r.pidsLimit > MAX_BYTES)) {
    throw invalidArgument(`invalid pidsLimit: ${r.pidsLimit}`, { details: { field: 'pidsLimit' } });
  }
  if (r.blkioWeight && (r.blkioWeight < 10 || r.blkioWeight > 1000)) {
    throw invalidArgument('Range of blkio weight is from 10 to 1000', { details: { field: 'blkioWeight' } });
  }
}

/**
 * The OCI `linux.resources` for `r`. On cgroup v2 the OOM-killer switch does
 * not exist (Docker drops it the same way); runc maps the rest to v2 files.
 */
export function linuxResources(r: Resources | undefined, version: CgroupVersion): LinuxResources {
  const out: LinuxResources = { devices: [{ allow: false, access: 'rwm' }] };
  if (!r) return out;
  const memory: NonNullable<LinuxResources['memory']> = {};
  if (r.memory) memory.limit = r.memory;
  if (r.memorySwap) memory.swap = r.memorySwap;
  else if (r.memory) memory.swap = r.memory * 2; // Docker: swap equal to the memory limit by default
  if (r.memoryReservation) memory.reservation = r.memoryReservation;
  if (r.oomKillDisable && version === 'v1') memory.disableOOMKiller = true;
  if (Object.keys(memory).length > 0) out.memory = memory;
  const cpu: NonNullable<LinuxResources['cpu']> = {};
  if (r.cpuShares) cpu.shares = r.cpuShares;
  if (r.nanoCpus) {
    cpu.period = DEFAULT_CPU_PERIOD;
    cpu.quota = Math.round((r.nanoCpus * DEFAULT_CPU_PERIOD) / 1e9);
  } else {
    if (r.cpuPeriod) cpu.period = r.cpuPeriod;
    if (r.cpuQuota) cpu.quota = r.cpuQuota;
  }
  if (r.cpusetCpus) cpu.cpus = r.cpusetCpus;
  if (r.cpusetMems) cpu.mems = r.cpusetMems;
  if (Object.keys(cpu).length > 0) out.cpu = cpu;
  if (r.pidsLimit !== undefined && r.pidsLimit !== 0) out.pids = { limit: r.pidsLimit };
  if (r.blkioWeight) out.blockIO = { weight: r.blkioWeight };
  return out;
}

/**
 * The resources document `runc update --resources -` takes: the same shape
 * as `linux.resources`, without devices. Unset fields stay as they are.
 */
export function updateResources(r: Resources, version: CgroupVersion): Omit<LinuxResources, 'devices'> {
  const { devices: _devices, ...rest } = linuxResources(r, version);
  if (r.pidsLimit === -1 || r.pidsLimit === 0) rest.pids = { limit: -1 }; // back to unlimited
  if (r.memorySwap === -1 && rest.memory) rest.memory.swap = -1;
  return rest;
}

/**
 * `process.rlimits`: RLIMIT_NOFILE 1024 (capped by the host) unless the user
 * set it, then every `--ulimit`.
 * @throws InvalidArgument for an unknown name, soft > hard, or a hard limit above the host's.
 */
export function processRlimits(
  ulimits: Ulimit[] | undefined,
  hostHard: ReadonlyMap<string, number>,
): { type: string; hard: number; soft: number }[] {
  const byName = new Map<string, Ulimit>();
  const nofileHard = hostHard.get('nofile') ?? Number.POSITIVE_INFINITY;
  byName.set('nofile', { name: 'nofile', soft: Math.min(1024, nofileHard), hard: Math.min(1024, nofileHard) });
  for (const u of ulimits ?? []) {
    const name = u.name.toLowerCase().replace(/^rlimit_/, '');
    if (!(ULIMIT_NAMES as readonly string[]).includes(name)) {
      throw invalidArgument(`invalid ulimit type: ${u.name}`, { details: { field: 'ulimits' } });
    }
    if (!Number.isSafeInteger(u.soft) || !Number.isSafeInteger(u.hard) || u.soft < -1 || u.hard < -1) {
      throw invalidArgument(`invalid ulimit ${name}: ${u.soft}:${u.hard}`, { details: { field: 'ulimits' } });
    }
    if (u.hard !== -1 && (u.soft === -1 || u.soft > u.hard)) {
      throw invalidArgument(`ulimit soft limit must be less than or equal to hard limit: ${u.soft} > ${u.hard}`, {
        details: { field: 'ulimits' },
      });
    }
    const max = hostHard.get(name);
    if (max !== undefined && (u.hard === -1 || u.hard > max)) {
      throw invalidArgument(
        `ulimit ${name}: hard limit ${u.hard === -1 ? 'unlimited' : u.hard} is above the host's hard limit ${max}`,
        { details: { field: 'ulimits', name, hostHardLimit: String(max) } },
      );
    }
    byName.set(name, { name, soft: u.soft, hard: u.hard });
  }
  // -1 (unlimited, allowed only where the host is unlimited too): JSON numbers cannot carry
  // RLIM_INFINITY (2^64-1) exactly, so the largest exact integer stands for it.
  const value = (v: number) => (v === -1 ? Number.MAX_SAFE_INTEGER : v);
  return [...byName.values()].map((u) => ({
    type: `RLIMIT_${u.name.toUpperCase()}`,
    hard: value(u.hard),
    soft: value(u.soft),
  }));
}
