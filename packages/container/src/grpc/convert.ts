import type {
  ContainerConfig,
  ContainerInfo,
  ContainerState,
  ContainerStatus,
  ContainerSummary,
  ExitStatus,
  HealthState,
  HostConfig,
  LogEntry,
  MountPoint,
  MountSpec,
  RestartPolicy,
} from '@tscr/api';
import { internal } from '@tscr/api';
import { healthConfigFromProto, healthConfigToProto, type containersV1, type typesV1 } from '@tscr/api/grpc';
import {
  networkHostConfigFromProto,
  networkHostConfigToProto,
  networkSettingsFromProto,
  networkSettingsToProto,
} from './network-convert.js';
import {
  resourcesEmpty,
  resourcesFromProto,
  resourcesToProto,
  securityEmpty,
  securityFromProto,
  securityToProto,
} from '@tscr/runtime/grpc';

/** Proto messages carry no "unset": these keep domain objects free of empty fields. */
function set<T extends object, K extends keyof T>(target: T, key: K, value: T[K] | '' | 0 | false | undefined): void {
  if (value !== undefined && value !== '' && value !== 0 && value !== false) target[key] = value as T[K];
}

/** Domain to wire: a mount request. */
export function mountSpecToProto(m: MountSpec): containersV1.MountSpec {
  return { type: m.type, source: m.source, target: m.target, readOnly: Boolean(m.readOnly), options: m.options ?? [] };
}

/** Wire to domain: a mount request. */
export function mountSpecFromProto(m: containersV1.MountSpec): MountSpec {
  const out: MountSpec = { type: m.type as MountSpec['type'], source: m.source, target: m.target };
  set(out, 'readOnly', m.readOnly);
  if (m.options.length) out.options = m.options;
  return out;
}

/** Domain to wire: `Config`; `has_*` flags keep "unset" apart from "empty". */
export function configToProto(c: ContainerConfig): containersV1.ContainerConfig {
  return {
    image: c.image,
    cmd: c.cmd ?? [],
    entrypoint: c.entrypoint ?? [],
    hasEntrypoint: c.entrypoint !== undefined,
    env: c.env ?? [],
    workingDir: c.workingDir ?? '',
    user: c.user ?? '',
    hostname: c.hostname ?? '',
    labels: c.labels ?? {},
    tty: Boolean(c.tty),
    openStdin: Boolean(c.openStdin),
    stdinOnce: Boolean(c.stdinOnce),
    stopSignal: c.stopSignal ?? '',
    stopTimeout: c.stopTimeout ?? 0,
    hasStopTimeout: c.stopTimeout !== undefined,
    healthcheck: c.healthcheck ? healthConfigToProto(c.healthcheck) : undefined,
  };
}

/** Wire to domain: `Config`, leaving unset fields out. */
export function configFromProto(c: containersV1.ContainerConfig | undefined): ContainerConfig {
  const out: ContainerConfig = { image: c?.image ?? '' };
  if (!c) return out;
  if (c.cmd.length) out.cmd = c.cmd;
  if (c.hasEntrypoint) out.entrypoint = c.entrypoint;
  if (c.env.length) out.env = c.env;
  set(out, 'workingDir', c.workingDir);
  set(out, 'user', c.user);
  set(out, 'hostname', c.hostname);
  if (Object.keys(c.labels).length) out.labels = { ...c.labels };
  set(out, 'tty', c.tty);
  set(out, 'openStdin', c.openStdin);
  set(out, 'stdinOnce', c.stdinOnce);
  set(out, 'stopSignal', c.stopSignal);
  if (c.hasStopTimeout) out.stopTimeout = c.stopTimeout;
  if (c.healthcheck) out.healthcheck = healthConfigFromProto(c.healthcheck);
  return out;
}

/** Domain to wire: `HostConfig`. */
export function hostConfigToProto(h: HostConfig | undefined): containersV1.HostConfig {
  return {
    networkMode: h?.networkMode ?? '',
    binds: h?.binds ?? [],
    mounts: (h?.mounts ?? []).map(mountSpecToProto),
    autoRemove: Boolean(h?.autoRemove),
    readonlyRootfs: Boolean(h?.readonlyRootfs),
    runtime: h?.runtime ?? '',
    restartPolicy: h?.restartPolicy
      ? { name: h.restartPolicy.name, maximumRetryCount: h.restartPolicy.maximumRetryCount ?? 0 }
      : undefined,
    logConfig: h?.logConfig ? { type: h.logConfig.type ?? '', config: { ...h.logConfig.config } } : undefined,
    ...networkHostConfigToProto(h),
    ...(h && !resourcesEmpty(h) ? { resources: resourcesToProto(h) } : {}),
    ...(h && !securityEmpty(h) ? { security: securityToProto(h) } : {}),
    pidMode: h?.pidMode ?? '',
    ipcMode: h?.ipcMode ?? '',
    utsMode: h?.utsMode ?? '',
  };
}

/** Wire to domain: `HostConfig`, leaving unset fields out. */
export function hostConfigFromProto(h: containersV1.HostConfig | undefined): HostConfig {
  const out: HostConfig = {};
  if (!h) return out;
  set(out, 'networkMode', h.networkMode);
  Object.assign(out, networkHostConfigFromProto(h));
  if (h.binds.length) out.binds = h.binds;
  if (h.mounts.length) out.mounts = h.mounts.map(mountSpecFromProto);
  set(out, 'autoRemove', h.autoRemove);
  set(out, 'readonlyRootfs', h.readonlyRootfs);
  set(out, 'runtime', h.runtime);
  if (h.restartPolicy?.name) {
    out.restartPolicy = { name: h.restartPolicy.name as RestartPolicy['name'] };
    set(out.restartPolicy, 'maximumRetryCount', h.restartPolicy.maximumRetryCount);
  }
  if (h.logConfig) {
    out.logConfig = {};
    set(out.logConfig, 'type', h.logConfig.type);
    if (Object.keys(h.logConfig.config).length) out.logConfig.config = { ...h.logConfig.config };
  }
  Object.assign(out, resourcesFromProto(h.resources), securityFromProto(h.security));
  set(out, 'pidMode', h.pidMode);
  set(out, 'ipcMode', h.ipcMode);
  set(out, 'utsMode', h.utsMode);
  return out;
}

function stateToProto(s: ContainerState): containersV1.ContainerState {
  return {
    ...s,
    paused: Boolean(s.paused),
    health: s.health ? { ...s.health, log: s.health.log.map((l) => ({ ...l })) } : undefined,
  };
}

function stateFromProto(s: containersV1.ContainerState | undefined): ContainerState {
  return {
    status: (s?.status || 'created') as ContainerStatus,
    running: s?.running ?? false,
    pid: s?.pid ?? 0,
    exitCode: s?.exitCode ?? 0,
    error: s?.error ?? '',
    oomKilled: s?.oomKilled ?? false,
    startedAt: s?.startedAt ?? '',
    finishedAt: s?.finishedAt ?? '',
    ...(s?.paused && { paused: true }),
    ...(s?.health && {
      health: {
        status: s.health.status as HealthState['status'],
        failingStreak: s.health.failingStreak,
        log: s.health.log.map((l) => ({ ...l })),
      },
    }),
  };
}

function mountPointFromProto(m: containersV1.MountPoint): MountPoint {
  const out: MountPoint = { type: m.type, source: m.source, destination: m.destination, rw: m.rw };
  set(out, 'name', m.name);
  return out;
}

/** Domain to wire: an inspect record. */
export function infoToProto(i: ContainerInfo): containersV1.ContainerInfo {
  return {
    ...i,
    config: configToProto(i.config),
    hostConfig: hostConfigToProto(i.hostConfig),
    state: stateToProto(i.state),
    mounts: i.mounts.map((m) => ({ ...m, name: m.name ?? '' })),
    networkSettings: networkSettingsToProto(i.networkSettings),
  };
}

/** Wire to domain: an inspect record. @throws Internal when the response carries none. */
export function infoFromProto(i: containersV1.ContainerInfo | undefined): ContainerInfo {
  if (!i) throw internal('response without a container');
  return {
    id: i.id,
    name: i.name,
    created: i.created,
    image: i.image,
    path: i.path,
    args: i.args,
    config: configFromProto(i.config),
    hostConfig: hostConfigFromProto(i.hostConfig),
    state: stateFromProto(i.state),
    mounts: i.mounts.map(mountPointFromProto),
    restartCount: i.restartCount,
    logPath: i.logPath,
    rootfs: i.rootfs,
    ...(i.networkSettings && { networkSettings: networkSettingsFromProto(i.networkSettings) }),
  };
}

/** Domain to wire: a `ps` row. */
export function summaryToProto(s: ContainerSummary): containersV1.ContainerSummary {
  return { ...s };
}

/** Wire to domain: a `ps` row. */
export function summaryFromProto(s: containersV1.ContainerSummary): ContainerSummary {
  return { ...s, state: s.state as ContainerStatus, labels: { ...s.labels } };
}

/** Domain to wire: a piece of output (no copy of the bytes). */
export function logEntryToProto(e: LogEntry): typesV1.LogEntry {
  return { stream: e.stream, time: e.time, data: Buffer.from(e.data.buffer, e.data.byteOffset, e.data.byteLength) };
}

/** Wire to domain: a piece of output; undefined for a message without one (the attach marker). */
export function logEntryFromProto(e: typesV1.LogEntry | undefined): LogEntry | undefined {
  if (!e) return undefined;
  return { stream: e.stream === 'stderr' ? 'stderr' : 'stdout', time: e.time, data: new Uint8Array(e.data) };
}

/** Domain to wire: an exit status. */
export function exitStatusToProto(s: ExitStatus): typesV1.ExitStatus {
  return { exitCode: s.exitCode, exitedAt: s.exitedAt, oomKilled: Boolean(s.oomKilled), error: s.error ?? '' };
}

/** Wire to domain: an exit status. */
export function exitStatusFromProto(s: typesV1.ExitStatus | undefined): ExitStatus {
  const out: ExitStatus = { exitCode: s?.exitCode ?? 0, exitedAt: s?.exitedAt ?? '' };
  set(out, 'oomKilled', s?.oomKilled);
  set(out, 'error', s?.error);
  return out;
}
