import { writeSync } from 'node:fs';
import { invalidArgument } from './errors.js';

/** The environment variable that arms failpoints: `name=kill[,name2=exit]`. */
export const FAILPOINTS_ENV = 'TSCR_FAILPOINTS';

/**
 * Every failpoint, by stable name, with the step it stops the daemon at.
 * A failpoint is a test-only hook (as in etcd's gofail and containerd's
 * tests): armed through {@link FAILPOINTS_ENV}, it ends `tscrd` abruptly at
 * that step, so a test can restart the daemon and check what a crash there
 * leaves. Unarmed (the variable unset) a failpoint costs one comparison.
 */
export const FAILPOINTS = {
  'container.create.after-snapshot': 'create: the directory and snapshot exist, the record does not',
  'container.create.after-record': 'create: the record is stored, the call has not answered',
  'container.start.after-network': 'start: namespace, veth and address are set up, no task exists',
  'container.start.after-task-create':
    'start: the runtime created the task (conmon runs); one created to start at once (no attach waiting) already runs',
  'container.start.after-task-start': 'start: the task runs, the record still says created',
  'container.stop.after-signal': 'stop: the stop signal was sent, the exit is not recorded',
  'container.remove.after-mark': 'remove: the record says removing, nothing is removed yet',
  'container.remove.after-snapshot': 'remove: task, network, snapshot and directory are gone, the record is not',
  'container.remove.after-trash': 'remove: the container directory moved to the trash, not yet removed',
  'image.snapshot.after-trash': 'snapshot remove: the snapshot directory moved to the trash, not yet removed',
  'runtime.delete.after-trash': 'task delete: runtime state and bundle moved to the trash, not yet removed',
  'container.commit.after-layer': 'commit: the new layer is stored, no image names it',
  'container.exec.after-start': 'exec: the exec process runs in the container',
  'image.pull.mid-layer': 'pull: a layer is part-way downloaded and unpacked in scratch space',
  'image.pull.between-layers': 'pull: one layer is stored, others are not',
  'image.pull.before-tag': 'pull: every blob is stored, the image is not tagged',
  'registry.push.between-blobs': 'push: one blob is uploaded, the manifest is not',
  'build.run.mid-run': 'build: a RUN step runs on its snapshot (task, mount)',
  'build.between-steps': 'build: a step image is stored, the next step has not begun',
  'volume.create.after-dir': 'volume create: the directory exists, the metadata does not',
  'volume.remove.after-meta': 'volume remove: the metadata is gone, the data directory is not',
  'network.create.after-record': 'network create: the record is saved, the bridge is not up',
  'network.connect.after-record': 'network connect: the endpoint and address are recorded, no veth exists',
  'network.disconnect.after-record': 'network disconnect: the endpoint is dropped from the state, its veth remains',
} as const;

/** The name of a failpoint. */
export type FailpointName = keyof typeof FAILPOINTS;

/** What an armed failpoint does: `kill` sends SIGKILL to the daemon itself; `exit` calls `process.exit(137)`. */
export type FailpointAction = 'kill' | 'exit';

/** undefined: not read yet; null: none armed. */
let armed: Map<string, FailpointAction> | null | undefined;

/**
 * Parses a {@link FAILPOINTS_ENV} value (`name=kill,name2=exit`; a bare name means `kill`).
 * @throws InvalidArgument for an unknown name or action.
 */
export function parseFailpoints(text: string | undefined): Map<FailpointName, FailpointAction> {
  const out = new Map<FailpointName, FailpointAction>();
  for (const part of (text ?? '').split(',')) {
    const item = part.trim();
    if (!item) continue;
    const [name = '', action = 'kill'] = item.split('=', 2).map((s) => s.trim());
    if (!Object.hasOwn(FAILPOINTS, name)) {
      throw invalidArgument(`${FAILPOINTS_ENV}: unknown failpoint ${JSON.stringify(name)}`, { details: { name } });
    }
    if (action !== 'kill' && action !== 'exit') {
      throw invalidArgument(`${FAILPOINTS_ENV}: failpoint ${name}: unknown action ${JSON.stringify(action)}`, {
        details: { name, action },
      });
    }
    out.set(name as FailpointName, action);
  }
  return out;
}

/**
 * The failpoints this process has armed (read from the environment once).
 * @throws InvalidArgument when the variable names an unknown failpoint.
 */
export function armedFailpoints(): Map<FailpointName, FailpointAction> {
  if (armed === undefined) {
    const parsed = parseFailpoints(process.env[FAILPOINTS_ENV]);
    armed = parsed.size > 0 ? parsed : null;
  }
  return new Map((armed ?? new Map()) as Map<FailpointName, FailpointAction>);
}

/**
 * Ends the process here when failpoint `name` is armed; otherwise returns at once.
 * Writes `tscrd: failpoint <name>` to stderr first, so a test sees which one fired.
 */
export function failpoint(name: FailpointName): void {
  if (armed === null) return;
  if (armed === undefined) {
    try {
      armedFailpoints();
    } catch {
      armed = null; // the daemon validates the variable at start; a layer embedded elsewhere ignores a bad one
    }
    if (armed === null) return;
  }
  const action = armed?.get(name);
  if (!action) return;
  try {
    writeSync(2, `tscrd: failpoint ${name}: ${action}\n`);
  } catch {
    // stderr closed: die anyway
  }
  if (action === 'exit') process.exit(137);
  process.kill(process.pid, 'SIGKILL');
}
