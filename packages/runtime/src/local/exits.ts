import { readFileSync, statSync, watch, type FSWatcher } from 'node:fs';
import { join } from 'node:path';
import { cancelled } from '@tscr/api';

/** An exit code as conmon recorded it, with the file's modification time. */
export interface ExitRecord {
  exitCode: number;
  /** RFC 3339 with nanoseconds (UTC). */
  exitedAt: string;
}

/** RFC 3339 with nanoseconds, UTC, from nanoseconds since the epoch. */
export function rfc3339Nano(ns: bigint): string {
  const ms = ns / 1_000_000n;
  const iso = new Date(Number(ms)).toISOString(); // 2026-11-28T14:54:19.041Z
  const frac = (ns % 1_000_000_000n).toString().padStart(9, '0');
  return `${iso.slice(0, 19)}.${frac}Z`;
}

/** Reads `<dir>/<id>` (a few bytes, read synchronously); undefined while conmon has not written it (or it is empty). */
export async function readExitFile(dir: string, id: string): Promise<ExitRecord | undefined> {
  const path = join(dir, id);
  try {
    const text = readFileSync(path, 'utf8');
    const st = statSync(path, { bigint: true });
    const code = text.trim();
    if (!/^-?\d+$/.test(code)) return undefined;
    return { exitCode: Number(code), exitedAt: rfc3339Nano(st.mtimeNs) };
  } catch {
    return undefined;
  }
}

/** How a wait ended: the exit file appeared, or `isAlive` said the monitor is gone without one. */
export type WaitOutcome = { kind: 'exited'; exit: ExitRecord } | { kind: 'lost' };

interface Waiter {
  id: string;
  settle: (outcome: WaitOutcome) => void;
}

/** How often waiters check that their monitor still lives (a safety net, not the exit path). */
const LIVENESS_INTERVAL_MS = 2000;

/**
 * Waits for conmon's exit files with one shared `fs.watch` (inotify) on the
 * exit directory, open only while someone waits. Also checks every few
 * seconds that each awaited task's monitor is alive, so a killed monitor
 * does not leave a wait hanging. Waiters are kept by task ID, and the next
 * round of liveness checks is scheduled when the last one has finished, so
 * with many running tasks the rounds never pile up.
 */
export class ExitWatcher {
  private watcher: FSWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** Waiters by task ID, so an exit event touches only its own task's waiters. */
  private readonly waiters = new Map<string, Set<Waiter>>();
  private count = 0;
  /** A round of liveness checks is running (the next one is scheduled when it ends). */
  private checking = false;

  constructor(
    private readonly dir: string,
    /** False once the task's monitor has gone (then a missing exit file means it never will come). */
    private readonly isAlive: (id: string) => Promise<boolean>,
  ) {}

  /**
   * Resolves once `<dir>/<id>` holds an exit code (at once if it does).
   * @throws Cancelled when `signal` aborts.
   */
  wait(id: string, signal?: AbortSignal): Promise<WaitOutcome> {
    if (signal?.aborted) return Promise.reject(cancelled('wait cancelled'));
    return new Promise<WaitOutcome>((resolve, reject) => {
      const onAbort = () => {
        this.remove(waiter);
        reject(cancelled('wait cancelled'));
      };
      const waiter: Waiter = {
        id,
        settle: (outcome) => {
          signal?.removeEventListener('abort', onAbort);
          this.remove(waiter);
          resolve(outcome);
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.add(waiter);
      try {
        this.ensureWatching();
      } catch (err) {
        this.remove(waiter);
        reject(err);
        return;
      }
      // Checked after the watch is in place, so an exit in between is not missed.
      void this.check(id);
    });
  }

  private ensureWatching(): void {
    if (!this.watcher) {
      this.watcher = watch(this.dir, (_event, name) => {
        if (name) void this.check(name);
      });
      this.watcher.on('error', () => this.checkAll());
    }
    this.scheduleLiveness();
  }

  private scheduleLiveness(): void {
    if (this.timer || this.checking || this.count === 0) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.checking = true;
      void this.checkLiveness().finally(() => {
        this.checking = false;
        this.scheduleLiveness();
      });
    }, LIVENESS_INTERVAL_MS);
    this.timer.unref();
  }

  private add(waiter: Waiter): void {
    const set = this.waiters.get(waiter.id) ?? new Set();
    if (set.size === 0) this.waiters.set(waiter.id, set);
    if (!set.has(waiter)) this.count++;
    set.add(waiter);
  }

  private remove(waiter: Waiter): void {
    const set = this.waiters.get(waiter.id);
    if (!set?.delete(waiter)) return;
    this.count--;
    if (set.size === 0) this.waiters.delete(waiter.id);
    if (this.count > 0) return;
    this.watcher?.close();
    this.watcher = undefined;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private waitersFor(id: string): Waiter[] {
    return [...(this.waiters.get(id) ?? [])];
  }

  private async check(id: string): Promise<boolean> {
    if (!this.waiters.has(id)) return false;
    const exit = await readExitFile(this.dir, id);
    if (!exit) return false;
    for (const w of this.waitersFor(id)) w.settle({ kind: 'exited', exit });
    return true;
  }

  private checkAll(): void {
    for (const id of [...this.waiters.keys()]) void this.check(id);
  }

  private async checkLiveness(): Promise<void> {
    for (const id of [...this.waiters.keys()]) {
      if (await this.isAlive(id).catch(() => true)) continue;
      if (await this.check(id)) continue;
      for (const w of this.waitersFor(id)) w.settle({ kind: 'lost' });
    }
  }
}
