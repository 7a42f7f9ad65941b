/**
 * CRI ContainerConfig → the container service's create request: command,
 * env, mounts, devices, resources, security context and the namespaces the
 * container shares with its pod.
 */
import { mkdir, readFile, stat } from 'node:fs/promises';
import { isAbsolute, join, normalize, relative } from 'node:path';
import { fromSystemError, invalidArgument, type HostConfig, type MountSpec, type Resources } from '@tscr/api';
import type { criV1 } from '@tscr/api/cri';
import type { CreateContainerRequest } from '@tscr/container';
import { containerName, criLabels, dnsHostConfig, nowNanos, type ContainerMeta, type PodMeta } from './meta.js';

/** NamespaceMode values. */
const NS = { POD: 0, CONTAINER: 1, NODE: 2, TARGET: 3 } as const;
/** MountPropagation values → mount options. */
const PROPAGATION = ['rprivate', 'rslave', 'rshared'];

/** The full log path, which must stay inside the pod's log directory. @throws InvalidArgument. */
export function criLogPath(pod: PodMeta, logPath: string): string {
  if (!logPath) return '';
  if (!pod.logDirectory) throw invalidArgument('log_path needs the pod sandbox to have a log_directory');
  if (isAbsolute(logPath)) throw invalidArgument(`log_path must be relative to the log directory: ${logPath}`);
  const full = normalize(join(pod.logDirectory, logPath));
  const rel = relative(normalize(pod.logDirectory), full);
  if (rel === '' || rel.startsWith('..')) {
    throw invalidArgument(`log_path ${JSON.stringify(logPath)} leaves the log directory ${pod.logDirectory}`, {
      details: { logPath },
    });
  }
  return full;
}

/** The seccomp `securityOpt` for a CRI profile. @throws InvalidArgument for an unknown or unreadable Localhost profile. */
async function seccompOpt(profile: criV1.SecurityProfile | undefined, legacyPath: string): Promise<string[]> {
  let type = profile?.profileType;
  let ref = profile?.localhostRef ?? '';
  if (profile === undefined && legacyPath) {
    if (legacyPath === 'unconfined') type = 1;
    else if (legacyPath.startsWith('localhost/')) {
      type = 2;
      ref = legacyPath.slice('localhost/'.length);
    } else if (legacyPath === 'runtime/default' || legacyPath === 'docker/default') type = 0;
    else throw invalidArgument(`unknown seccomp profile ${JSON.stringify(legacyPath)}`);
  }
  // No profile at all is unconfined in the CRI (kubelet asks for RuntimeDefault explicitly).
  if (type === undefined) return ['seccomp=unconfined'];
  if (type === 0) return [];
  if (type === 1) return ['seccomp=unconfined'];
  if (type !== 2) throw invalidArgument(`unknown seccomp profile type ${type}`);
  if (!isAbsolute(ref)) throw invalidArgument(`seccomp localhost profile must be an absolute path: ${ref}`);
  let text: string;
  try {
    text = await readFile(ref, 'utf8');
  } catch (err) {
    throw invalidArgument(`cannot read seccomp profile ${ref}: ${fromSystemError(err).message}`, { cause: err });
  }
  try {
    const parsed = JSON.parse(text) as { defaultAction?: unknown };
    if (typeof parsed.defaultAction !== 'string') throw new Error('no defaultAction');
  } catch (err) {
    throw invalidArgument(`seccomp profile ${ref} is not a profile: ${(err as Error).message}`, { cause: err });
  }
  return [`seccomp=${text}`];
}

/** `uid[:gid]` or `name[:gid]` from run_as_user / run_as_username / run_as_group. */
function userOf(sec: criV1.LinuxContainerSecurityContext | undefined): string | undefined {
  const group = sec?.runAsGroup ? `:${sec.runAsGroup.value}` : '';
  if (sec?.runAsUser) return `${sec.runAsUser.value}${group}`;
  if (sec?.runAsUsername) return `${sec.runAsUsername}${group}`;
  if (group) throw invalidArgument('run_as_group needs run_as_user or run_as_username');
  return undefined;
}

/** CRI LinuxContainerResources → Docker-shaped limits (0 means unset). */
export function resourcesOf(r: criV1.LinuxContainerResources | undefined): Resources {
  if (!r) return {};
  return {
    ...(r.cpuPeriod > 0 && { cpuPeriod: r.cpuPeriod }),
    ...(r.cpuQuota > 0 && { cpuQuota: r.cpuQuota }),
    ...(r.cpuShares > 0 && { cpuShares: r.cpuShares }),
    ...(r.memoryLimitInBytes > 0 && { memory: r.memoryLimitInBytes }),
    ...(r.memorySwapLimitInBytes > 0 && { memorySwap: r.memorySwapLimitInBytes }),
    ...(r.cpusetCpus && { cpusetCpus: r.cpusetCpus }),
    ...(r.cpusetMems && { cpusetMems: r.cpusetMems }),
  };
}

/** Bind mounts; a missing host path is made as a directory (as kubelet's runtimes do). */
async function mountsOf(mounts: criV1.Mount[]): Promise<MountSpec[]> {
  const out: MountSpec[] = [];
  for (const m of mounts) {
    if (!isAbsolute(m.containerPath) || !isAbsolute(m.hostPath))
      throw invalidArgument(`mount ${m.hostPath}:${m.containerPath}: both paths must be absolute`);
    if (m.recursiveReadOnly) throw invalidArgument('recursive read-only mounts are not supported by this runtime');
    if (m.image) throw invalidArgument('image volumes are not supported by this runtime');
    const exists = await stat(m.hostPath).then(
      () => true,
      () => false,
    );
    if (!exists) await mkdir(m.hostPath, { recursive: true, mode: 0o755 });
    const propagation = PROPAGATION[m.propagation];
    if (!propagation) throw invalidArgument(`unknown mount propagation ${m.propagation}`);
    out.push({
      type: 'bind',
      source: m.hostPath,
      target: m.containerPath,
      readOnly: m.readonly,
      options: [propagation],
    });
  }
  return out;
}

/** Which namespaces the container shares, per its pod and its own NamespaceOption. */
function namespacesOf(
  pod: PodMeta,
  podId: string,
  ns: criV1.NamespaceOption | undefined,
): Pick<HostConfig, 'networkMode' | 'pidMode' | 'ipcMode' | 'utsMode'> {
  const infra = `container:${podId}`;
  const pid = ns?.pid ?? NS.CONTAINER;
  let pidMode = '';
  if (pid === NS.NODE || pod.pid === 'node') pidMode = 'host';
  else if (pid === NS.POD) pidMode = infra;
  else if (pid === NS.TARGET) {
    if (!ns?.targetId) throw invalidArgument('PID namespace mode TARGET needs a target_id');
    pidMode = `container:${ns.targetId}`;
  }
  return {
    networkMode: pod.network === 'node' ? 'host' : infra,
    utsMode: pod.network === 'node' ? 'host' : infra,
    ipcMode: pod.ipc === 'node' ? 'host' : infra,
    ...(pidMode && { pidMode }),
  };
}

/**
 * The create request for a CRI container of `pod`.
 * @throws InvalidArgument (log path, seccomp profile, mounts, namespaces).
 */
export async function createRequest(
  podId: string,
  pod: PodMeta,
  config: criV1.ContainerConfig,
  imageRef: string,
): Promise<CreateContainerRequest> {
  const md = config.metadata;
  if (!md?.name) throw invalidArgument('ContainerConfig.metadata.name is required');
  const linux = config.linux;
  const sec = linux?.securityContext;
  const logPath = criLogPath(pod, config.logPath);
  const meta: ContainerMeta = {
    name: md.name,
    attempt: md.attempt,
    labels: config.labels ?? {},
    annotations: config.annotations ?? {},
    sandboxId: podId,
    image: config.image?.image ?? '',
    logPath,
    mounts: config.mounts.map((m) => ({
      containerPath: m.containerPath,
      hostPath: m.hostPath,
      readonly: m.readonly,
      propagation: m.propagation,
    })),
    createdAt: nowNanos(),
  };
  const securityOpt = [
    ...(await seccompOpt(sec?.seccomp, sec?.seccompProfilePath ?? '')),
    ...(sec?.noNewPrivs ? ['no-new-privileges'] : []),
  ];
  const user = userOf(sec);
  const hostConfig: HostConfig = {
    ...namespacesOf(pod, podId, sec?.namespaceOptions),
    ...dnsHostConfig(pod),
    ...resourcesOf(linux?.resources),
    mounts: await mountsOf(config.mounts ?? []),
    ...(config.devices.length > 0 && {
      devices: config.devices.map((d) => ({
        pathOnHost: d.hostPath,
        pathInContainer: d.containerPath || d.hostPath,
        cgroupPermissions: d.permissions || 'rwm',
      })),
    }),
    ...(sec?.privileged && { privileged: true }),
    ...(sec?.readonlyRootfs && { readonlyRootfs: true }),
    ...(sec?.capabilities?.addCapabilities.length && { capAdd: sec.capabilities.addCapabilities }),
    ...(sec?.capabilities?.dropCapabilities.length && { capDrop: sec.capabilities.dropCapabilities }),
    ...(sec?.supplementalGroups.length && { groupAdd: sec.supplementalGroups.map(String) }),
    ...(securityOpt.length > 0 && { securityOpt }),
    ...(sec?.maskedPaths.length && { maskedPaths: sec.maskedPaths }),
    ...(sec?.readonlyPaths.length && { readonlyPaths: sec.readonlyPaths }),
  };
  return {
    name: containerName([md.name, pod.name, pod.namespace, pod.uid, md.attempt]),
    config: {
      image: imageRef,
      ...(config.command.length > 0 && { entrypoint: config.command }),
      ...(config.args.length > 0 && { cmd: config.args }),
      env: config.envs.map((e) => `${e.key}=${e.value}`),
      ...(config.workingDir && { workingDir: config.workingDir }),
      ...(user && { user }),
      ...(pod.hostname && pod.network !== 'node' && { hostname: pod.hostname }),
      labels: criLabels('container', meta, pod),
      ...(config.tty && { tty: true }),
      ...(config.stdin && { openStdin: true, stdinOnce: config.stdinOnce }),
    },
    hostConfig,
    ...(logPath && { logPath }),
  };
}
