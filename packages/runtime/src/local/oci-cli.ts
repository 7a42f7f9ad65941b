import { existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { CommandFailed, run } from './exec.js';
import { runtimeFailure, runtimeMessage } from './runtime-errors.js';

export { runtimeMessage };
import { releaseViaExecFifo } from './exec-fifo.js';
import { readRuncState, stateCgroups } from './trash.js';

/** `runc state` / `runc list --format json` output, trimmed to what tscr reads. */
export interface OciState {
  id: string;
  /** `creating`, `created`, `running`, `paused` or `stopped`. */
  status: string;
  pid: number;
  bundle: string;
  rootfs?: string;
}

/**
 * Thin wrapper over one OCI runtime binary (runc or crun) and its state
 * root: every call is one `<binary> --root <root> --log-format json …` run.
 * Failures become TscrErrors with the runtime's own message.
 */
export class OciCli {
  constructor(
    /** The runtime binary, e.g. /usr/sbin/runc. */
    readonly binary: string,
    /** Its `--root` directory. */
    readonly root: string,
  ) {}

  /** The global arguments every invocation starts with (also passed through conmon). */
  globalArgs(): string[] {
    return ['--root', this.root, '--log-format', 'json'];
  }

  private async exec(args: string[], what: string): Promise<string> {
    try {
      return (await run(this.binary, [...this.globalArgs(), ...args])).stdout;
    } catch (err) {
      if (err instanceof CommandFailed) {
        throw runtimeFailure(what, err);
      }
      throw err;
    }
  }

  /** True when the runtime has state for `id` (its directory under the root exists). */
  async exists(id: string): Promise<boolean> {
    return existsSync(join(this.root, id));
  }

  /**
   * `start ID`: runs the user process of a created container. For runc the
   * init is released through its exec fifo directly (see exec-fifo.ts); when
   * that does not succeed (or without `initPid`, or for other runtimes), `start` is run.
   */
  async start(id: string, initPid?: number): Promise<void> {
    if (initPid && basename(this.binary) === 'runc') {
      if (await releaseViaExecFifo(join(this.root, id, 'exec.fifo'), initPid)) return;
    }
    await this.exec(['start', id], `cannot start ${id}`);
  }

  /** `kill ID SIGNUM`. */
  async kill(id: string, signal: number): Promise<void> {
    await this.exec(['kill', id, String(signal)], `cannot signal ${id}`);
  }

  /** `state ID`. */
  async state(id: string): Promise<OciState> {
    return JSON.parse(await this.exec(['state', id], `cannot get the state of ${id}`)) as OciState;
  }

  /** `list --format json`: every container under the root. */
  async list(): Promise<OciState[]> {
    return ((JSON.parse(await this.exec(['list', '--format', 'json'], 'cannot list tasks')) as OciState[] | null) ??
      []) as OciState[];
  }

  /** `delete [--force] ID`. */
  async delete(id: string, force = false): Promise<void> {
    await this.exec(['delete', ...(force ? ['--force'] : []), id], `cannot delete ${id}`);
  }

  /**
   * The state directory of a container whose init process is known to be
   * gone (its exit was recorded), when it may be removed in process as
   * `runc delete` would — its cgroups, then the directory — without starting
   * a process: this sits on the `run --rm` path (see trash.ts, which does
   * the removal). Only for runc's state layout; undefined whenever it cannot
   * be sure, and the caller then runs {@link delete}.
   */
  async stoppedState(id: string): Promise<string | undefined> {
    if (basename(this.binary) !== 'runc') return undefined;
    const dir = join(this.root, id);
    const state = readRuncState(dir);
    if (!stateCgroups(state) || (await initStillThere(state?.init_process_pid, state?.init_process_start)))
      return undefined;
    return dir;
  }
}

/** True while the process `pid` started at `start` (clock ticks, /proc/<pid>/stat field 22) exists. */
async function initStillThere(pid: unknown, start: unknown): Promise<boolean> {
  if (typeof pid !== 'number' || pid <= 0) return false;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return String(fields[19]) === String(start);
  } catch {
    return false;
  }
}
