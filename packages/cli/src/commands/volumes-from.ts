import type { MountSpec } from '@tscr/api';
import type { ContainerService } from '@tscr/container';
import { usageError } from '../args.js';

/**
 * `--volumes-from CTR[:ro|rw]`: the volumes and binds of each named
 * container, at the same destinations, as mounts for a new one. `ro` makes
 * them all read-only; otherwise each keeps its own mode. tmpfs mounts are
 * not shared, as in Docker.
 * @throws InvalidArgument (usage) for a bad mode; NotFound for an unknown container.
 */
export async function volumesFrom(
  containers: Pick<ContainerService, 'inspect'>,
  refs: readonly string[],
): Promise<MountSpec[]> {
  const out: MountSpec[] = [];
  for (const entry of refs) {
    const colon = entry.lastIndexOf(':');
    const mode = colon > 0 ? entry.slice(colon + 1) : '';
    const ref = colon > 0 ? entry.slice(0, colon) : entry;
    if (mode !== '' && mode !== 'ro' && mode !== 'rw')
      throw usageError(`invalid mode for --volumes-from ${entry}: ${mode}`);
    const info = await containers.inspect(ref);
    for (const m of info.mounts) {
      if (m.type !== 'volume' && m.type !== 'bind') continue;
      const readOnly = mode === 'ro' || (mode === '' && !m.rw);
      const spec: MountSpec = {
        type: m.type,
        source: m.type === 'volume' ? (m.name ?? '') : m.source,
        target: m.destination,
      };
      if (readOnly) spec.readOnly = true;
      out.push(spec);
    }
  }
  return out;
}
