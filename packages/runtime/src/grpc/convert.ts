import type { ExitStatus } from '@tscr/api';
import type { runtimeV1, typesV1 } from '@tscr/api/grpc';
import type { NetworkNamespace, TaskSpec, TaskState, TaskStatus } from '../types.js';
import { resourcesFromProto, resourcesToProto, securityFromProto, securityToProto } from './resources-convert.js';

/** Domain ExitStatus → wire. */
export function exitStatusToProto(e: ExitStatus): typesV1.ExitStatus {
  return { exitCode: e.exitCode, exitedAt: e.exitedAt, oomKilled: e.oomKilled ?? false, error: e.error ?? '' };
}

/** Wire ExitStatus → domain (empty optional fields dropped). */
export function exitStatusFromProto(e: typesV1.ExitStatus): ExitStatus {
  return {
    exitCode: e.exitCode,
    exitedAt: e.exitedAt,
    ...(e.oomKilled ? { oomKilled: true } : {}),
    ...(e.error ? { error: e.error } : {}),
  };
}

/** Domain TaskSpec → wire. */
export function taskSpecToProto(s: TaskSpec): runtimeV1.TaskSpec {
  return {
    id: s.id,
    rootfs: s.rootfs.map((m) => ({ type: m.type, source: m.source, options: [...m.options] })),
    process: {
      args: s.process.args,
      env: s.process.env,
      cwd: s.process.cwd,
      user: s.process.user ?? '',
      terminal: s.process.terminal ?? false,
      openStdin: s.process.openStdin ?? false,
      stdinOnce: s.process.stdinOnce ?? false,
    },
    hostname: s.hostname,
    readonlyRootfs: s.readonlyRootfs ?? false,
    mounts: (s.mounts ?? []).map((m) => ({ ...m, options: [...m.options] })),
    ...(s.network ? { network: { mode: s.network.mode, path: s.network.path ?? '' } } : {}),
    logPath: s.logPath,
    runtime: s.runtime ?? '',
    annotations: { ...(s.annotations ?? {}) },
    ...(s.resources ? { resources: resourcesToProto(s.resources) } : {}),
    ...(s.security ? { security: securityToProto(s.security) } : {}),
    logMaxSize: s.logRotation?.maxSize ?? 0,
    logMaxFiles: s.logRotation?.maxFiles ?? 0,
    ...(s.namespaces
      ? { namespaces: { pid: s.namespaces.pid ?? '', ipc: s.namespaces.ipc ?? '', uts: s.namespaces.uts ?? '' } }
      : {}),
  };
}

/** Wire TaskSpec → domain. */
export function taskSpecFromProto(s: runtimeV1.TaskSpec): TaskSpec {
  const p = s.process;
  const spec: TaskSpec = {
    id: s.id,
    rootfs: s.rootfs.map((m) => ({ type: m.type, source: m.source, options: m.options })),
    process: {
      args: p?.args ?? [],
      env: p?.env ?? [],
      cwd: p?.cwd ?? '',
      ...(p?.user ? { user: p.user } : {}),
      ...(p?.terminal ? { terminal: true } : {}),
      ...(p?.openStdin ? { openStdin: true } : {}),
      ...(p?.stdinOnce ? { stdinOnce: true } : {}),
    },
    hostname: s.hostname,
    logPath: s.logPath,
  };
  if (s.readonlyRootfs) spec.readonlyRootfs = true;
  if (s.mounts.length) spec.mounts = s.mounts.map((m) => ({ ...m }));
  if (s.network?.mode) {
    spec.network = {
      mode: s.network.mode as NetworkNamespace['mode'],
      ...(s.network.path ? { path: s.network.path } : {}),
    };
  }
  if (s.runtime) spec.runtime = s.runtime;
  if (Object.keys(s.annotations).length) spec.annotations = { ...s.annotations };
  if (s.logMaxSize && s.logMaxFiles) spec.logRotation = { maxSize: Number(s.logMaxSize), maxFiles: s.logMaxFiles };
  if (s.resources) spec.resources = resourcesFromProto(s.resources);
  if (s.security) spec.security = securityFromProto(s.security);
  if (s.namespaces && (s.namespaces.pid || s.namespaces.ipc || s.namespaces.uts)) {
    spec.namespaces = {
      ...(s.namespaces.pid && { pid: s.namespaces.pid }),
      ...(s.namespaces.ipc && { ipc: s.namespaces.ipc }),
      ...(s.namespaces.uts && { uts: s.namespaces.uts }),
    };
  }
  return spec;
}

/** Domain TaskState → wire. */
export function taskStateToProto(t: TaskState): runtimeV1.TaskState {
  return {
    id: t.id,
    status: t.status,
    pid: t.pid,
    ...(t.exitStatus ? { exitStatus: exitStatusToProto(t.exitStatus) } : {}),
    hasExitStatus: t.exitStatus !== undefined,
    bundle: t.bundle,
    rootfs: t.rootfs,
  };
}

/** Wire TaskState → domain. */
export function taskStateFromProto(t: runtimeV1.TaskState): TaskState {
  return {
    id: t.id,
    status: t.status as TaskStatus,
    pid: t.pid,
    ...(t.hasExitStatus && t.exitStatus ? { exitStatus: exitStatusFromProto(t.exitStatus) } : {}),
    bundle: t.bundle,
    rootfs: t.rootfs,
  };
}
