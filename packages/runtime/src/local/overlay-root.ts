import type { Mount } from '@tscr/api';
import type { OciMount } from '../types.js';

/** An overlay root the OCI runtime mounts inside the container's own mount namespace. */
export interface OverlayRoot {
  /** The OCI mount at `/`, listed before every other mount. */
  mount: OciMount;
  /** The layer directories, top (upper) first: the container's view of its files. */
  layers: string[];
}

function option(options: string[], key: string): string | undefined {
  return options.find((o) => o.startsWith(`${key}=`))?.slice(key.length + 1);
}

/**
 * Recognizes a snapshot that is one writable overlay (upperdir, workdir,
 * lowerdir) and turns it into a mount at `/` for the OCI runtime.
 *
 * Mounted that way, the overlay exists only in the container's mount
 * namespace: the host never sees it, nothing is left mounted if the daemon
 * dies, it disappears with the container, and no `mount`/`umount` process
 * runs on the start path. Anything else (bind roots, several mounts) is
 * mounted on the host as before.
 */
export function overlayRoot(mounts: Mount[]): OverlayRoot | undefined {
  if (mounts.length !== 1 || mounts[0]!.type !== 'overlay') return undefined;
  const { options } = mounts[0]!;
  const upper = option(options, 'upperdir');
  const lower = option(options, 'lowerdir');
  if (!upper || !lower || !option(options, 'workdir')) return undefined;
  return {
    mount: { destination: '/', type: 'overlay', source: mounts[0]!.source || 'overlay', options: [...options] },
    layers: [upper, ...lower.split(':')],
  };
}
