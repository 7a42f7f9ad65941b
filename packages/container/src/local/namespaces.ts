import { failedPrecondition, invalidArgument, type ContainerInfo, type HostConfig } from '@tscr/api';
import type { SharedNamespaces } from '@tscr/runtime';

/** A container by name, ID or prefix (`lookupContainer` over the store). @throws NotFound. */
type Lookup = (ref: string) => ContainerInfo;

const MODES = { pid: 'pidMode', ipc: 'ipcMode', uts: 'utsMode' } as const;

/** Checks `pidMode`, `ipcMode` and `utsMode` at create: empty, `host` or `container:<ref>` of a known container. */
export function checkNamespaceModes(lookup: Lookup, h: HostConfig): void {
  for (const key of Object.values(MODES)) {
    const mode = h[key];
    if (!mode || mode === 'host' || mode === 'private') continue;
    if (!mode.startsWith('container:'))
      throw invalidArgument(`invalid ${key} ${JSON.stringify(mode)}: want host or container:<name|id>`);
    lookup(mode.slice('container:'.length));
  }
}

/**
 * The namespaces a starting container shares, as the runtime takes them:
 * `host`, or `/proc/<pid>/ns/<type>` of the running container it names.
 * @throws NotFound; FailedPrecondition when that container is not running.
 */
export function sharedNamespaces(lookup: Lookup, h: HostConfig): SharedNamespaces {
  const out: SharedNamespaces = {};
  for (const [type, key] of Object.entries(MODES) as [keyof SharedNamespaces, keyof typeof h][]) {
    const mode = h[key] as string | undefined;
    if (!mode || mode === 'private') continue;
    if (mode === 'host') {
      out[type] = 'host';
      continue;
    }
    const target = lookup(mode.slice('container:'.length));
    if (!target.state.running || target.state.pid <= 0) {
      throw failedPrecondition(`cannot join the ${type} namespace of container ${target.name}: it is not running`, {
        details: { id: target.id },
      });
    }
    out[type] = `/proc/${target.state.pid}/ns/${type}`;
  }
  return out;
}

/**
 * Label naming the front door that owns a container (`cri`): such containers
 * belong to it, so `rename` refuses them and `remove` wants `force`.
 */
export const OWNER_LABEL = 'io.tscr.owner';

/** @throws FailedPrecondition when another front door owns the container and the call is not forced. */
export function assertNotOwned(info: ContainerInfo, what: string, force = false): void {
  const owner = info.config.labels?.[OWNER_LABEL];
  if (!owner || force) return;
  throw failedPrecondition(
    `cannot ${what} container ${info.name}: it belongs to the ${owner.toUpperCase()} (manage it there${what === 'remove' ? ', or force' : ''})`,
    { details: { id: info.id, owner } },
  );
}
