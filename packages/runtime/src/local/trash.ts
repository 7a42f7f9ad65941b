import { existsSync, readFileSync, renameSync, unlinkSync } from 'node:fs';
import { rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import { backgroundFileOp, DirTrash, isErrno, renameInto } from '@tscr/api';
import { removeBundle } from './bundle.js';
import { run } from './exec.js';

/** Where a bundle holds its task's OCI runtime state on the way to the trash: `<bundle>/runtime-state/<id>`. */
export const RUNTIME_STATE = 'runtime-state';
/** Where a deleted task's exit file and attach socket link go: into its bundle, on their way to the trash. */
export const TRASHED_EXIT_FILE = 'exit-code';
export const TRASHED_SOCKET_LINK = 'socket-link';

/** What runc recorded about a container (`state.json`), trimmed to what tscr reads. */
export interface RuncState {
  cgroup_paths?: unknown;
  init_process_pid?: unknown;
  init_process_start?: unknown;
}

/** runc's `state.json` of a state directory, or undefined when it cannot be read. */
export function readRuncState(stateDir: string): RuncState | undefined {
  try {
    return JSON.parse(readFileSync(join(stateDir, 'state.json'), 'utf8')) as RuncState;
  } catch {
    return undefined;
  }
}

/** The cgroup directories runc recorded, or undefined when there are none that tscr may remove. */
export function stateCgroups(state: RuncState | undefined): string[] | undefined {
  const paths = state?.cgroup_paths;
  if (!paths || typeof paths !== 'object') return undefined;
  const cgroups = [...new Set(Object.values(paths as Record<string, unknown>))];
  if (!cgroups.every((p) => typeof p === 'string' && p.startsWith('/sys/fs/cgroup/'))) return undefined;
  return cgroups as string[];
}

/**
 * Removes each cgroup directory (one per controller on v1), one after the
 * other through {@link backgroundFileOp}: this runs behind the calls, and
 * leaves the thread pool to them. True when all are gone.
 */
export async function removeCgroups(cgroups: string[]): Promise<boolean> {
  let all = true;
  for (const p of cgroups) {
    const removed = await backgroundFileOp(() => rmdir(p)).then(
      () => true,
      (err: unknown) => isErrno(err, 'ENOENT'),
    );
    all &&= removed;
  }
  return all;
}

/**
 * Where the state of stopped tasks goes to be removed behind the call that
 * deleted them. `delete` moves a task's OCI runtime state directory into its
 * bundle (`runtime-state/<id>`, made by create) and the bundle into a fresh
 * entry `<dir>/<id>.<token>-<n>`: two renames, a few hundred microseconds.
 * The call then answers, and the slow part — a dozen cgroup rmdirs that
 * sleep in the kernel, the bundle's files — runs afterwards. A task whose
 * bundle and runtime state are gone no longer exists for any call, so
 * nothing can observe the rest half-done; a crash in between leaves an entry
 * that the sweep of the next instance (run before its first `list` and
 * `create`) finishes. The layout keeps the runtime's own delete usable:
 * `runc --root <entry>/runtime-state delete --force <id>` removes what the
 * in-process path could not (cgroups that still hold processes).
 */
export class Trash {
  private readonly entries: DirTrash;

  constructor(
    /** The trash directory (on the same filesystem as the bundles and the runtime state). */
    readonly dir: string,
    /** The runtime binary for a runtime name, when an entry needs the runtime's own delete. */
    private readonly runtimeBinary: (runtime: string | undefined, recorded: string | undefined) => string,
    /** Where failures are reported (the entry then stays for the next sweep). */
    log: (message: string) => void = () => undefined,
  ) {
    this.entries = new DirTrash({
      dir,
      log,
      failpoint: 'runtime.delete.after-trash',
      removeEntry: (entry, id) => this.removeEntry(entry, id),
    });
  }

  /**
   * Moves the runtime state directory `state` (when given) into `bundle`,
   * then the bundle into a new entry, and removes the entry in the
   * background. Until the bundle moves the task exists and reads as stopped.
   * `companions` (name in the bundle → path): files of the task kept outside
   * its bundle (its exit file, its attach socket link) that go with it — a
   * rename each, where an unlink on the call's path cost ~0.4 ms (ext4
   * freeing the exit file's block).
   */
  take(id: string, bundle: string, state?: string, companions: Readonly<Record<string, string>> = {}): void {
    if (state) renameInto(state, join(bundle, RUNTIME_STATE), id);
    for (const [name, path] of Object.entries(companions)) moveInto(path, join(bundle, name));
    this.entries.take(bundle, id);
  }

  /** Settles once the background removals of task `id` (of this instance, and the start-up sweep) are done. */
  settledFor(id: string): Promise<void> {
    return this.entries.settledFor(id);
  }

  /** Settles once every background removal has ended. */
  settled(): Promise<void> {
    return this.entries.settled();
  }

  /**
   * Removes the entries an earlier instance left (a crash, or a shutdown
   * before its removals ended). Runs once; later calls return the same promise.
   */
  sweep(): Promise<void> {
    return this.entries.sweep();
  }

  private async removeEntry(entry: string, id: string): Promise<void> {
    const root = join(entry, RUNTIME_STATE);
    const cgroups = stateCgroups(readRuncState(join(root, id)));
    if (!cgroups || !(await removeCgroups(cgroups))) {
      if (existsSync(join(root, id, 'state.json'))) await this.runtimeDelete(entry, root, id);
    }
    await removeBundle(entry); // refuses a rootfs that is still mounted or not empty
  }

  /** The runtime's own `delete --force` on the state kept in the entry (it kills what is left in the cgroups). */
  private async runtimeDelete(entry: string, root: string, id: string): Promise<void> {
    let rec: { runtime?: string; runtimePath?: string } = {};
    try {
      rec = JSON.parse(readFileSync(join(entry, 'task.json'), 'utf8')) as typeof rec;
    } catch {
      // no record: the default runtime
    }
    await run(this.runtimeBinary(rec.runtime, rec.runtimePath), ['--root', root, 'delete', '--force', id]);
  }
}

/** Renames `from` to `to`; when `to`'s directory is gone, removes `from` instead. A missing `from` is fine. */
function moveInto(from: string, to: string): void {
  try {
    renameSync(from, to);
  } catch (err) {
    if (!isErrno(err, 'ENOENT')) throw err;
    try {
      unlinkSync(from);
    } catch (e) {
      if (!isErrno(e, 'ENOENT')) throw e;
    }
  }
}
