import type {
  ContainerConfig,
  ContainerInfo,
  ContainerState,
  ContainerStatus,
  ContainerSummary,
  ExitStatus,
  HostConfig,
  LogEntry,
  MountPoint,
  MountSpec,
} from '@tscr/api';
import { internal } from '@tscr/api';
import type { containersV1, typesV1 } from '@tscr/api/grpc';

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
    stopSignal: c.stopSignal ?? '',
    stopTimeout: c.stopTimeout ?? 0,
    hasStopTimeout: c.stopTimeout !== undefined,
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
  set(out, 'stopSignal', c.stopSignal);
  if (c.hasStopTimeout) out.stopTimeout = c.stopTimeout;
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
  };
}

/** Wire to domain: `HostConfig`, leaving unset fields out. */
export function hostConfigFromProto(h: containersV1.HostConfig | undefined): HostConfig {
  const out: HostConfig = {};
  if (!h) return out;
  set(out, 'networkMode', h.networkMode);
  if (h.binds.length) out.binds = h.binds;
  if (h.mounts.length) out.mounts = h.mounts.map(mountSpecFromProto);
  set(out, 'autoRemove', h.autoRemove);
  set(out, 'readonlyRootfs', h.readonlyRootfs);
  set(out, 'runtime', h.runtime);
  return out;
}

function stateToProto(s: ContainerState): containersV1.ContainerState {
  return { ...s };
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
