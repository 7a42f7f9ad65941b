import { randomBytes } from 'node:crypto';
import { invalidArgument, type HealthConfig, type HealthLogEntry, type HealthState } from '@tscr/api';
import type { TaskRuntime } from '@tscr/runtime';

/** Runs a probe's argv inside a running container; `exitCode` -1 means it did not finish in time. */
export type ProbeExec = (
  id: string,
  argv: string[],
  opts: { timeoutMs: number; signal?: AbortSignal },
) => Promise<{ exitCode: number; output: string }>;

/** Docker's defaults for fields left at 0. */
export const HEALTH_DEFAULTS = { intervalMs: 30_000, timeoutMs: 30_000, startPeriodMs: 0, retries: 3 } as const;
/** Probe results kept in `State.Health.Log`. */
export const HEALTH_LOG_ENTRIES = 5;
/** Bytes of a probe's output kept (as Docker). */
export const HEALTH_OUTPUT_MAX = 4096;

/**
 * The healthcheck a container runs: its own fields over the image's (a
 * container `test` replaces the image's; zero durations inherit the image's).
 */
export function mergeHealthcheck(own?: HealthConfig, image?: HealthConfig): HealthConfig | undefined {
  if (!own && !image) return undefined;
  const out: HealthConfig = { ...image, ...own };
  out.test = own?.test?.length ? own.test : image?.test;
  for (const key of ['intervalMs', 'timeoutMs', 'startPeriodMs', 'retries'] as const) {
    const value = own?.[key] || image?.[key];
    if (value) out[key] = value;
    else delete out[key];
  }
  if (!out.test?.length) delete out.test;
  return out;
}

/** @throws InvalidArgument for a malformed test or negative durations/retries. */
export function validateHealthcheck(h: HealthConfig | undefined): void {
  if (!h) return;
  const bad = (message: string) =>
    invalidArgument(`invalid healthcheck: ${message}`, { details: { reason: 'InvalidHealthcheck' } });
  const test = h.test ?? [];
  if (test.length > 0) {
    const kind = test[0];
    if (kind !== 'NONE' && kind !== 'CMD' && kind !== 'CMD-SHELL')
      throw bad(`unknown test type ${JSON.stringify(kind)}`);
    if (kind === 'CMD' && test.length < 2) throw bad('CMD needs a command');
    if (kind === 'CMD-SHELL' && (test.length !== 2 || !test[1])) throw bad('CMD-SHELL needs one command string');
  }
  for (const key of ['intervalMs', 'timeoutMs', 'startPeriodMs', 'retries'] as const) {
    const v = h[key];
    if (v !== undefined && (!Number.isFinite(v) || v < 0)) throw bad(`${key} must not be negative`);
  }
  if (h.intervalMs && h.intervalMs < 1) throw bad('interval must be at least 1ms');
  if (h.timeoutMs && h.timeoutMs < 1) throw bad('timeout must be at least 1ms');
}

/** The argv a test runs (`CMD-SHELL` through `/bin/sh -c`); undefined when there is nothing to run. */
export function probeArgv(test: string[] | undefined): string[] | undefined {
  if (!test?.length || test[0] === 'NONE') return undefined;
  if (test[0] === 'CMD-SHELL') return ['/bin/sh', '-c', test[1] ?? ''];
  if (test[0] === 'CMD') return test.slice(1);
  return undefined;
}

/** The status a new run starts with, or undefined when the container has no (enabled) healthcheck. */
export function initialHealth(h: HealthConfig | undefined): HealthState | undefined {
  return probeArgv(h?.test) ? { status: 'starting', failingStreak: 0, log: [] } : undefined;
}

/**
 * Applies one probe result to a health state (Docker's rules): success makes
 * it healthy; a failure during the start period does not count; `retries`
 * failures in a row make it unhealthy. Returns the new state.
 */
export function applyProbe(
  prev: HealthState,
  entry: HealthLogEntry,
  retries: number,
  inStartPeriod: boolean,
): HealthState {
  const log = [...prev.log, entry].slice(-HEALTH_LOG_ENTRIES);
  if (entry.exitCode === 0) return { status: 'healthy', failingStreak: 0, log };
  if (inStartPeriod && prev.status !== 'healthy') return { ...prev, log };
  const failingStreak = prev.failingStreak + 1;
  return { status: failingStreak >= retries ? 'unhealthy' : prev.status, failingStreak, log };
}

/** A {@link ProbeExec} over the runtime's exec primitive. */
export function runtimeProbe(runtime: Pick<TaskRuntime, 'exec'>): ProbeExec {
  return async (id, argv, { timeoutMs, signal }) => {
    const ac = new AbortController();
    const onAbort = () => ac.abort();
    signal?.addEventListener('abort', onAbort, { once: true });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      ac.abort();
    }, timeoutMs);
    try {
      const session = await runtime.exec(
        id,
        { id: `health-${randomBytes(6).toString('hex')}`, args: argv },
        {},
        { signal: ac.signal },
      );
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of session.output) {
        if (size >= HEALTH_OUTPUT_MAX) continue; // keep draining so the process is not blocked
        const data = Buffer.from(chunk.data).subarray(0, HEALTH_OUTPUT_MAX - size);
        chunks.push(data);
        size += data.length;
      }
      const status = await session.exit;
      if (timedOut) return { exitCode: -1, output: `Health check exceeded timeout (${timeoutMs}ms)` };
      return { exitCode: status.exitCode, output: Buffer.concat(chunks).toString('utf8') };
    } catch (err) {
      if (timedOut) return { exitCode: -1, output: `Health check exceeded timeout (${timeoutMs}ms)` };
      throw err;
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    }
  };
}

/** What {@link HealthMonitor} reports to. */
export interface HealthMonitorOptions {
  exec: ProbeExec;
  /** Stores the new state of a running container; false when the container is no longer running (stops the loop). */
  record: (id: string, update: (prev: HealthState) => HealthState) => HealthState | undefined;
  /** Called when the status changes (for the `health_status` event). */
  onStatus: (id: string, status: HealthState['status']) => void;
  log: (message: string) => void;
}

/** Runs the healthchecks of running containers: one probe loop per container. */
export class HealthMonitor {
  private readonly loops = new Map<string, AbortController>();

  constructor(private readonly o: HealthMonitorOptions) {}

  /** Starts probing `id` (replacing an earlier loop); `startedAt` is when this run began (ms). */
  start(id: string, config: HealthConfig, startedAt: number): void {
    const argv = probeArgv(config.test);
    if (!argv) return;
    this.stop(id);
    const ac = new AbortController();
    this.loops.set(id, ac);
    void this.loop(id, argv, config, startedAt, ac.signal).finally(() => {
      if (this.loops.get(id) === ac) this.loops.delete(id);
    });
  }

  /** Stops probing `id`. */
  stop(id: string): void {
    this.loops.get(id)?.abort();
    this.loops.delete(id);
  }

  /** Stops every loop. */
  close(): void {
    for (const ac of this.loops.values()) ac.abort();
    this.loops.clear();
  }

  private async loop(
    id: string,
    argv: string[],
    config: HealthConfig,
    startedAt: number,
    signal: AbortSignal,
  ): Promise<void> {
    const interval = config.intervalMs || HEALTH_DEFAULTS.intervalMs;
    const timeoutMs = config.timeoutMs || HEALTH_DEFAULTS.timeoutMs;
    const retries = config.retries || HEALTH_DEFAULTS.retries;
    const startPeriod = config.startPeriodMs || HEALTH_DEFAULTS.startPeriodMs;
    while (!signal.aborted) {
      await sleep(interval, signal);
      if (signal.aborted) return;
      const start = new Date();
      let result: { exitCode: number; output: string };
      try {
        result = await this.o.exec(id, argv, { timeoutMs, signal });
      } catch (err) {
        if (signal.aborted) return;
        result = { exitCode: -1, output: err instanceof Error ? err.message : String(err) };
      }
      if (signal.aborted) return;
      const entry: HealthLogEntry = {
        start: start.toISOString(),
        end: new Date().toISOString(),
        exitCode: result.exitCode,
        output: result.output,
      };
      const inStartPeriod = start.getTime() - startedAt < startPeriod;
      let before: HealthState['status'] | undefined;
      const after = this.o.record(id, (prev) => {
        before = prev.status;
        return applyProbe(prev, entry, retries, inStartPeriod);
      });
      if (!after) return;
      if (after.status !== before) this.o.onStatus(id, after.status);
    }
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
