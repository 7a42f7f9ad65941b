import type { ContainerInfo, Mount } from '@tscr/api';
import type { NetworkAttachment } from '@tscr/network';
import type { SharedNamespaces, TaskSpec } from '@tscr/runtime';
import { logRotationOf } from '@tscr/runtime/local';
import { taskResources, taskSecurity } from './update.js';
import type { ResolvedMount } from '@tscr/volume';

/** Annotation carrying the container's name on its task. */
export const NAME_ANNOTATION = 'io.tscr.container.name';

/** Everything the runtime needs to run a container's process. */
export function buildTaskSpec(
  info: ContainerInfo,
  rootfs: Mount[],
  mounts: ResolvedMount[],
  network: NetworkAttachment,
  defaultRuntime?: string,
  namespaces?: SharedNamespaces,
): TaskSpec {
  const { config, hostConfig } = info;
  const hostname = config.hostname || info.id.slice(0, 12);
  const env = [...(config.env ?? [])];
  if (!env.some((e) => e.startsWith('HOSTNAME='))) env.push(`HOSTNAME=${hostname}`);
  const spec: TaskSpec = {
    id: info.id,
    rootfs,
    process: {
      args: [info.path, ...info.args],
      env,
      cwd: config.workingDir || '/',
      terminal: Boolean(config.tty),
      ...(config.openStdin ? { openStdin: true, stdinOnce: Boolean(config.stdinOnce) } : {}),
    },
    hostname,
    readonlyRootfs: Boolean(hostConfig.readonlyRootfs),
    mounts: mounts.map((m) => ({ destination: m.destination, type: m.type, source: m.source, options: m.options })),
    network: network.path === undefined ? { mode: network.mode } : { mode: network.mode, path: network.path },
    logPath: info.logPath,
    logRotation: logRotationOf(hostConfig.logConfig),
    annotations: { [NAME_ANNOTATION]: info.name },
  };
  if (config.user) spec.process.user = config.user;
  const resources = taskResources(hostConfig);
  if (resources) spec.resources = resources;
  const security = taskSecurity(hostConfig);
  if (security) spec.security = security;
  if (namespaces && Object.keys(namespaces).length > 0) spec.namespaces = namespaces;
  const runtime = hostConfig.runtime || defaultRuntime;
  if (runtime) spec.runtime = runtime;
  return spec;
}
