/**
 * The daemon's pid file, held under an exclusive `flock(2)` lock for the
 * daemon's whole life.
 *
 * Node has no flock, so the lock is taken by util-linux's `flock(1)` on a
 * descriptor the daemon lends it: tscrd opens the file (with O_CLOEXEC, as
 * Node opens every file), passes that descriptor as the child's fd 3 and
 * runs `flock --nonblock 3`. A BSD lock belongs to the open file description,
 * not to the process that asked for it, so it stays after `flock` exits, for
 * as long as tscrd keeps its descriptor open — and the kernel drops it when
 * the last descriptor of that description closes: when tscrd exits, however
 * it exits (kill -9 included), before its zombie is reaped. No child of the
 * daemon (conmon, runc) inherits the descriptor, thanks to O_CLOEXEC.
 * (A POSIX `fcntl` lock would not work this way: it belongs to a process and
 * would die with the `flock` child.)
 */
import { spawn } from 'node:child_process';
import { constants } from 'node:fs';
import { type FileHandle, open, readFile, rm, stat } from 'node:fs/promises';
import { failedPrecondition, unavailable } from '@tscr/api';

/** `flock --conflict-exit-code`: another holder has the lock. */
const CONFLICT = 75;

/** A pid file whose lock this process holds. */
export interface PidFileLock {
  readonly path: string;
  /** Removes the file, then drops the lock (for a graceful shutdown). */
  release(): Promise<void>;
}

/** Runs `flock -n -x 3` on `fd`: true when locked, false when another holder has it. @throws Unavailable. */
function flockNonBlocking(fd: number): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const child = spawn('flock', ['--nonblock', '--exclusive', '--conflict-exit-code', String(CONFLICT), '3'], {
      stdio: ['ignore', 'ignore', 'pipe', fd],
    });
    let stderr = '';
    child.stderr?.on('data', (b: Buffer) => {
      stderr += b.toString();
    });
    child.once('error', (err) => reject(unavailable(`cannot run flock(1) (util-linux): ${err.message}`)));
    child.once('close', (code) => {
      if (code === 0) resolve(true);
      else if (code === CONFLICT) resolve(false);
      else reject(unavailable(`flock(1) failed with ${code}: ${stderr.trim()}`));
    });
  });
}

/** Handles kept here so they are never collected (a collected FileHandle is closed, dropping the lock). */
const held = new Set<FileHandle>();

/**
 * Takes `path` for this process: creates it if needed, locks it, and writes
 * the pid. The file may be left over from a daemon that crashed: only its
 * lock counts, never the pid it names.
 * @throws FailedPrecondition when another live process holds the lock;
 *   Unavailable when flock(1) cannot run.
 */
export async function lockPidFile(path: string): Promise<PidFileLock> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const fh = await open(path, constants.O_RDWR | constants.O_CREAT, 0o644);
    let keep = false;
    try {
      if (!(await flockNonBlocking(fh.fd))) {
        const pid = (await readFile(path, 'utf8').catch(() => '')).trim();
        throw failedPrecondition(
          `tscrd is already running${pid ? ` with pid ${pid}` : ''} (it holds the lock on ${path})`,
          {
            details: { path, ...(pid && { pid }) },
          },
        );
      }
      // A holder that was shutting down may have removed the file between our open and our lock:
      // then we hold a lock on a name that is gone. Start again on the file the path names now.
      const [mine, now] = await Promise.all([fh.stat(), stat(path).catch(() => undefined)]);
      if (!now || now.ino !== mine.ino || now.dev !== mine.dev) continue;
      await fh.truncate(0);
      await fh.write(`${process.pid}\n`, 0);
      keep = true;
      held.add(fh);
      return {
        path,
        release: async () => {
          await rm(path, { force: true });
          held.delete(fh);
          await fh.close();
        },
      };
    } finally {
      if (!keep) await fh.close();
    }
  }
  throw unavailable(`cannot lock ${path}: it keeps being replaced`);
}
