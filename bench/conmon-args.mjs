// conmon's argv exactly as tscr builds it (packages/runtime/src/local/conmon.ts), for a bench's own bundle, runc root
// and scratch directory (the log, exit files and attach sockets go there). `sync`: `--sync`, as through the relay.
import { join } from 'node:path';
import { monitorArgs } from '@tscr/runtime/local';

/** conmon's arguments for container `id` on `bundle`, runc state under `root`, files under `scratch`. */
export function benchConmonArgs({ id, bundle, root, scratch, sync }) {
  return monitorArgs({
    conmonPath: 'conmon',
    id,
    runtimePath: '/usr/sbin/runc',
    runtimeArgs: ['--root', root, '--log-format', 'json'],
    bundle,
    logPath: join(scratch, 'ctr.log'),
    exitDir: join(scratch, 'exits'),
    socketDir: join(scratch, 'sockets'),
    sync,
  });
}
