import type { Resources, SecurityConfig } from '@tscr/api';
import type { resourcesV1 } from '@tscr/api/grpc';
import { pickResources, pickSecurity } from '../options.js';
import type { ProcessInfo, TaskStats } from '../types.js';

/** Domain Resources → wire (unset stays unset). */
export function resourcesToProto(r: Resources): resourcesV1.Resources {
  const { ulimits, devices, ...scalars } = pickResources(r);
  return { ...scalars, ulimits: ulimits ?? [], devices: devices ?? [] };
}

/** Wire Resources → domain, without unset or empty fields. */
export function resourcesFromProto(r: resourcesV1.Resources | undefined): Resources {
  if (!r) return {};
  const out = pickResources(r as Resources);
  if (!r.ulimits.length) delete out.ulimits;
  else out.ulimits = r.ulimits.map((u) => ({ ...u }));
  if (!r.devices.length) delete out.devices;
  else out.devices = r.devices.map((d) => ({ ...d }));
  return out;
}

/** True when `r` sets nothing. */
export function resourcesEmpty(r: Resources | undefined): boolean {
  return Object.keys(pickResources(r)).length === 0;
}

/** Domain SecurityConfig → wire. */
export function securityToProto(s: SecurityConfig): resourcesV1.SecurityOptions {
  return {
    capAdd: s.capAdd ?? [],
    capDrop: s.capDrop ?? [],
    privileged: Boolean(s.privileged),
    securityOpt: s.securityOpt ?? [],
    init: Boolean(s.init),
    groupAdd: s.groupAdd ?? [],
    ...(s.shmSize !== undefined ? { shmSize: s.shmSize } : {}),
    sysctls: { ...(s.sysctls ?? {}) },
    cgroupnsMode: s.cgroupnsMode ?? '',
    maskedPathsSet: s.maskedPaths !== undefined,
    maskedPaths: s.maskedPaths ?? [],
    readonlyPathsSet: s.readonlyPaths !== undefined,
    readonlyPaths: s.readonlyPaths ?? [],
  };
}

/** Wire SecurityOptions → domain, without empty fields. */
export function securityFromProto(s: resourcesV1.SecurityOptions | undefined): SecurityConfig {
  const out: SecurityConfig = {};
  if (!s) return out;
  if (s.capAdd.length) out.capAdd = s.capAdd;
  if (s.capDrop.length) out.capDrop = s.capDrop;
  if (s.privileged) out.privileged = true;
  if (s.securityOpt.length) out.securityOpt = s.securityOpt;
  if (s.init) out.init = true;
  if (s.groupAdd.length) out.groupAdd = s.groupAdd;
  if (s.shmSize !== undefined) out.shmSize = s.shmSize;
  if (Object.keys(s.sysctls).length) out.sysctls = { ...s.sysctls };
  if (s.cgroupnsMode) out.cgroupnsMode = s.cgroupnsMode;
  if (s.maskedPathsSet) out.maskedPaths = [...s.maskedPaths];
  if (s.readonlyPathsSet) out.readonlyPaths = [...s.readonlyPaths];
  return out;
}

/** True when `s` sets nothing. */
export function securityEmpty(s: SecurityConfig | undefined): boolean {
  return Object.keys(pickSecurity(s)).length === 0;
}

/** Domain TaskStats → wire. */
export function taskStatsToProto(s: TaskStats): resourcesV1.TaskStats {
  return { ...s };
}

/** Wire TaskStats → domain. */
export function taskStatsFromProto(s: resourcesV1.TaskStats | undefined): TaskStats {
  return {
    read: s?.read ?? '',
    cpuTotalNs: s?.cpuTotalNs ?? 0,
    systemCpuUs: s?.systemCpuUs ?? 0,
    onlineCpus: s?.onlineCpus ?? 0,
    memoryUsage: s?.memoryUsage ?? 0,
    memoryLimit: s?.memoryLimit ?? 0,
    pids: s?.pids ?? 0,
    netRxBytes: s?.netRxBytes ?? 0,
    netTxBytes: s?.netTxBytes ?? 0,
    blockReadBytes: s?.blockReadBytes ?? 0,
    blockWriteBytes: s?.blockWriteBytes ?? 0,
  };
}

/** Domain ProcessInfo → wire. */
export function processInfoToProto(p: ProcessInfo): resourcesV1.ProcessInfo {
  return { ...p, args: [...p.args] };
}

/** Wire ProcessInfo → domain. */
export function processInfoFromProto(p: resourcesV1.ProcessInfo): ProcessInfo {
  return { ...p, args: [...p.args] };
}
