/**
 * Size-based rotation of conmon's k8s-file logs, driven by the daemon.
 *
 * Why not conmon's own `--log-size-max`: when the file reaches that size
 * conmon truncates it (reopens it empty), so the output is lost, not
 * rotated. Instead tscr renames `container.log` to `container.log.1`
 * (shifting older files up to `max-file - 1`) and asks conmon, through its
 * `ctl` FIFO in the bundle (message `2 0 0\n`: reopen the log files), to
 * start a new file at the old path. Lines conmon writes between the rename
 * and the reopen land at the end of `.1`, so nothing is lost, and readers
 * ({@link readLogs}) read the rotated files in order and follow the switch.
 * The check is a `stat` per running task every second, backing off for a log
 * that did not grow (every 2, then 4 seconds at most; one past half its
 * limit is always checked every second), so hundreds of quiet tasks cost a
 * quarter of the `stat`s. A task that writes faster than `max-size` per
 * check interval can overshoot by that interval's output.
 * While the daemon is down nothing rotates (the file keeps growing and is
 * rotated at the next check after the restart).
 */
import { constants } from 'node:fs';
import { open, rename, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { invalidArgument, type LogConfig } from '@tscr/api';

/** Rotation limits of one task's log. */
export interface LogRotation {
  /** Rotate once the file reaches this many bytes. */
  maxSize: number;
  /** Files kept, the live one included (>= 1). */
  maxFiles: number;
}

/** The default: 10 MiB per file, 3 files. */
export const DEFAULT_LOG_ROTATION: Readonly<LogRotation> = { maxSize: 10 * 1024 * 1024, maxFiles: 3 };

/** Log drivers accepted (`k8s-file` is conmon's format; `json-file` is taken as a synonym for Docker users). */
const DRIVERS = ['', 'k8s-file', 'json-file'];
/** Below this a rotation per write would thrash. */
const MIN_SIZE = 4096;

const SIZE = /^(\d+)([kmg]?)b?$/i;

/** Parses `10m`, `512k`, `1g`, `4096`. @throws InvalidArgument. */
export function parseLogSize(text: string): number {
  const m = SIZE.exec(text.trim());
  if (!m)
    throw invalidArgument(`invalid log option max-size: ${JSON.stringify(text)}`, {
      details: { reason: 'InvalidLogConfig' },
    });
  const unit = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[m[2]!.toLowerCase() as '' | 'k' | 'm' | 'g'];
  return Number(m[1]) * unit;
}

/**
 * The rotation a container's `LogConfig` asks for, defaults filled in.
 * @throws InvalidArgument for another driver, an unknown option, or a bad value.
 */
export function logRotationOf(config: LogConfig | undefined): LogRotation {
  const bad = (message: string) => invalidArgument(message, { details: { reason: 'InvalidLogConfig' } });
  if (!DRIVERS.includes(config?.type ?? ''))
    throw bad(`unsupported log driver ${JSON.stringify(config?.type)} (use k8s-file)`);
  const out = { ...DEFAULT_LOG_ROTATION };
  for (const [key, value] of Object.entries(config?.config ?? {})) {
    if (key === 'max-size') {
      out.maxSize = parseLogSize(value);
      if (out.maxSize < MIN_SIZE) throw bad(`log option max-size must be at least ${MIN_SIZE} bytes: ${value}`);
    } else if (key === 'max-file') {
      if (!/^\d+$/.test(value) || Number(value) < 1) throw bad(`invalid log option max-file: ${JSON.stringify(value)}`);
      out.maxFiles = Number(value);
    } else throw bad(`unknown log option ${JSON.stringify(key)} (max-size, max-file)`);
  }
  return out;
}

/** Path of rotated file `n` (1 = the newest rotated one). */
export function rotatedPath(path: string, n: number): string {
  return `${path}.${n}`;
}

/** Asks conmon to reopen its log files through the bundle's `ctl` FIFO. False when no monitor listens. */
export async function requestReopen(bundle: string): Promise<boolean> {
  let fh: Awaited<ReturnType<typeof open>> | undefined;
  try {
    fh = await open(join(bundle, 'ctl'), constants.O_WRONLY | constants.O_NONBLOCK);
    await fh.write('2 0 0\n');
    return true;
  } catch {
    return false;
  } finally {
    await fh?.close().catch(() => undefined);
  }
}

async function ignoreMissing(p: Promise<unknown>): Promise<void> {
  await p.catch((err: unknown) => {
    if ((err as { code?: string }).code !== 'ENOENT') throw err;
  });
}

/** Shifts the rotated files up and moves the live file to `.1`, then asks the monitor to reopen. */
export async function rotateLog(path: string, bundle: string, maxFiles: number): Promise<void> {
  const keep = maxFiles - 1; // rotated files kept
  await ignoreMissing(unlink(rotatedPath(path, Math.max(keep, 1))));
  for (let n = keep - 1; n >= 1; n--) await ignoreMissing(rename(rotatedPath(path, n), rotatedPath(path, n + 1)));
  await rename(path, rotatedPath(path, 1));
  const reopened = await requestReopen(bundle);
  if (keep === 0 && reopened) {
    // One file only: the old content goes once the monitor writes to the new file.
    for (let i = 0; i < 50; i++) {
      if (
        await stat(path).then(
          () => true,
          () => false,
        )
      )
        break;
      await new Promise((r) => setTimeout(r, 20));
    }
    await ignoreMissing(unlink(rotatedPath(path, 1)));
  }
}

interface Watched {
  logPath: string;
  bundle: string;
  rotation: LogRotation;
  busy: boolean;
  /** Size at the last check. */
  size: number;
  /** Ticks between checks (1 while the log grows, doubling up to {@link MAX_IDLE_TICKS} while it does not). */
  every: number;
  /** Ticks left until the next check. */
  wait: number;
}

/** The longest gap between two checks of a log that does not grow, in ticks of the rotator's interval. */
const MAX_IDLE_TICKS = 4;

/** Checks the logs of running tasks once a second and rotates those past their size. */
export class LogRotator {
  private readonly tasks = new Map<string, Watched>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly log: (message: string) => void = () => undefined,
    private readonly intervalMs = 1000,
  ) {}

  /** Starts watching a task's log (replacing an earlier registration). */
  add(id: string, logPath: string, bundle: string, rotation: LogRotation): void {
    this.tasks.set(id, { logPath, bundle, rotation, busy: false, size: 0, every: 1, wait: 1 });
    if (!this.timer) {
      this.timer = setInterval(() => void this.tick(), this.intervalMs);
      this.timer.unref();
    }
  }

  /** Stops watching a task's log. */
  remove(id: string): void {
    this.tasks.delete(id);
    if (this.tasks.size === 0) this.close();
  }

  /** Stops the timer. */
  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Checks every log now. */
  async checkAll(): Promise<void> {
    await Promise.all([...this.tasks.values()].map((t) => this.check(t)));
  }

  /** One tick of the timer: checks the logs whose turn it is (the timer calls it every interval). */
  async tick(): Promise<void> {
    const due: Watched[] = [];
    for (const t of this.tasks.values()) if (--t.wait <= 0) due.push(t);
    await Promise.all(due.map((t) => this.check(t)));
  }

  private async check(t: Watched): Promise<void> {
    if (t.busy) return;
    t.busy = true;
    try {
      const size = await stat(t.logPath).then(
        (s) => s.size,
        () => 0,
      );
      const quiet = size === t.size && size < t.rotation.maxSize / 2;
      t.every = quiet ? Math.min(t.every * 2, MAX_IDLE_TICKS) : 1;
      t.wait = t.every;
      t.size = size;
      if (size >= t.rotation.maxSize) {
        await rotateLog(t.logPath, t.bundle, t.rotation.maxFiles);
        t.size = 0;
      }
    } catch (err) {
      this.log(`rotate ${t.logPath}: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      t.busy = false;
    }
  }
}
