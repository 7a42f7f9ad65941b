import type { PluginDirs } from '../types.js';

/** dockerd's socket directory. */
export const DOCKER_SOCKET_DIR = '/run/docker/plugins';
/** dockerd's spec file directories, in the order it searches them. */
export const DOCKER_SPEC_DIRS: readonly string[] = ['/etc/docker/plugins', '/usr/lib/docker/plugins'];

/** dockerd's plugin directories, plus `extra` (searched last, for sockets and spec files alike). */
export function pluginDirs(dirs: PluginDirs | undefined, extra: readonly string[] = []): PluginDirs {
  const base = dirs ?? { sockets: [DOCKER_SOCKET_DIR], specs: [...DOCKER_SPEC_DIRS] };
  return { sockets: [...base.sockets, ...extra], specs: [...base.specs, ...extra] };
}
