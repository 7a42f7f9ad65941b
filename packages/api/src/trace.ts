import { appendFileSync } from 'node:fs';

/**
 * The environment variable that turns step timing on: the path of a file the
 * process appends one JSON line per timed step to (`{"step","id","ms","at"}`).
 * Unset, a timed step costs one comparison. Used by the benchmarks
 * (`bench/run-path.sh`) to say where the milliseconds of a run go.
 */
export const TRACE_ENV = 'TSCR_TRACE';

/** One timed step. */
export interface TraceSpan {
  /** Dotted step name, e.g. `runtime.create.monitor`. */
  step: string;
  /** The container or task the step worked for ('' when none). */
  id: string;
  /** How long it took, in milliseconds. */
  ms: number;
  /** When it ended, in ms since the process's time origin. */
  at: number;
}

/** undefined: not read yet; '' : off. */
let target: string | undefined;
let buffered: string[] = [];
let flushTimer: NodeJS.Timeout | undefined;

function traceFile(): string {
  if (target === undefined) {
    target = process.env[TRACE_ENV] ?? '';
    if (target) process.once('exit', flushTrace);
  }
  return target;
}

/** Writes the buffered spans to the trace file (at exit, and at most once a second meanwhile). */
export function flushTrace(): void {
  if (!target || buffered.length === 0) return;
  const text = buffered.join('');
  buffered = [];
  try {
    appendFileSync(target, text);
  } catch {
    // A trace that cannot be written is dropped: timing must never fail a call.
  }
}

/** True when step timing is on ({@link TRACE_ENV} set). */
export function tracing(): boolean {
  return traceFile() !== '';
}

/** Records that `step` (for `id`) began at `start` (a `performance.now()` value) and ended now. */
export function traceSince(step: string, id: string, start: number): void {
  if (!traceFile()) return;
  const at = performance.now();
  const span: TraceSpan = { step, id, ms: Math.round((at - start) * 1000) / 1000, at: Math.round(at * 1000) / 1000 };
  buffered.push(`${JSON.stringify(span)}\n`);
  if (!flushTimer) {
    flushTimer = setTimeout(() => {
      flushTimer = undefined;
      flushTrace();
    }, 1000);
    flushTimer.unref();
  }
}

/**
 * Runs `fn` and, when tracing is on, records how long it took as `step`
 * (also when it fails). Off, it only calls `fn`.
 */
export function traced<T>(step: string, id: string, fn: () => Promise<T>): Promise<T> {
  if (!traceFile()) return fn();
  const start = performance.now();
  return fn().finally(() => traceSince(step, id, start));
}
