import { existsSync } from 'node:fs';
import type { ContainerInfo, LogEntry } from '@tscr/api';
import type { AttachOptions, LogsOptions } from '../types.js';
import type { Lifecycle } from './lifecycle.js';
import { nowRfc3339Nano, rfc3339Nanos } from './records.js';

/** Options of a {@link LogReader} (the runtime's `readLogs`). */
export interface ReadLogsOptions {
  follow?: boolean;
  tail?: number;
  since?: string;
  until?: string;
  stdout?: boolean;
  stderr?: boolean;
  signal?: AbortSignal;
  /** With `follow`: once this settles, the reader drains the file and ends. */
  stopped?: Promise<unknown>;
}

/** Reads a task's log file as entries (the runtime package's `readLogs`). */
export type LogReader = (path: string, opts: ReadLogsOptions) => AsyncIterable<LogEntry>;

const DURATION_PART = /(\d+(?:\.\d+)?)(ms|s|m|h)/g;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * `logs --since/--until` as Docker takes them: RFC 3339 (passed on), Unix
 * seconds with an optional fraction, or a duration back from now (`10m`),
 * the latter two turned into RFC 3339 with nanoseconds.
 */
export function logTime(text: string, now = Date.now()): string {
  const unix = /^(\d+)(?:\.(\d{1,9}))?$/.exec(text);
  if (unix) {
    return `${new Date(Number(unix[1]) * 1000).toISOString().slice(0, 19)}.${(unix[2] ?? '').padEnd(9, '0')}Z`;
  }
  if (text && text.replace(DURATION_PART, '') === '') {
    let ms = 0;
    for (const m of text.matchAll(DURATION_PART)) ms += Number(m[1]) * UNIT_MS[m[2]!]!;
    return new Date(now - ms).toISOString();
  }
  return text;
}

/** Resolves when the current run of container `id` has ended (exit, failed start or removal). */
function runEnded(lifecycle: Lifecycle, id: string, signal?: AbortSignal): Promise<void> {
  return lifecycle
    .next(id, (e) => (e.kind === 'start' ? undefined : true), signal)
    .then(
      () => undefined,
      () => undefined,
    );
}

/** `logs`: recorded output, and with `follow` live output until the running container stops. */
export async function* readContainerLogs(
  info: ContainerInfo,
  readLogs: LogReader,
  lifecycle: Lifecycle,
  opts: LogsOptions,
): AsyncGenerator<LogEntry> {
  const follow = Boolean(opts.follow) && info.state.running;
  if (!follow && !existsSync(info.logPath)) return;
  const read: ReadLogsOptions = { follow, stdout: opts.stdout ?? true, stderr: opts.stderr ?? true };
  if (opts.tail !== undefined && opts.tail >= 0) read.tail = opts.tail;
  if (opts.since) read.since = logTime(opts.since);
  if (opts.until) read.until = logTime(opts.until);
  if (opts.signal) read.signal = opts.signal;
  if (follow) read.stopped = runEnded(lifecycle, info.id, opts.signal);
  yield* readLogs(info.logPath, read);
}

/**
 * `attach`: output from now on until the container stops. For a container
 * that is not running, waits for its next start and streams that whole run,
 * so attaching before `start` misses nothing. Everything it needs to know is
 * captured before its first `await`.
 */
export async function* attachContainer(
  info: ContainerInfo,
  readLogs: LogReader,
  lifecycle: Lifecycle,
  opts: AttachOptions,
): AsyncGenerator<LogEntry> {
  let onStart!: (since: string | undefined) => void;
  let onEnd!: () => void;
  const started = new Promise<string | undefined>((resolve) => (onStart = resolve));
  const ended = new Promise<void>((resolve) => (onEnd = resolve));
  const off = lifecycle.on(info.id, (event) => {
    if (event.kind === 'start') return onStart(event.since);
    onStart(undefined);
    onEnd();
  });
  const abort = () => {
    onStart(undefined);
    onEnd();
  };
  opts.signal?.addEventListener('abort', abort, { once: true });
  const now = info.state.running ? nowRfc3339Nano() : undefined;
  opts.onAttached?.();
  try {
    const since = now ?? (await started);
    if (since === undefined || opts.signal?.aborted) return;
    const threshold = rfc3339Nanos(since) ?? 0n;
    const read: ReadLogsOptions = {
      follow: true,
      since,
      stopped: ended,
      stdout: opts.stdout ?? true,
      stderr: opts.stderr ?? true,
    };
    if (opts.signal) read.signal = opts.signal;
    for await (const entry of readLogs(info.logPath, read)) {
      const at = rfc3339Nanos(entry.time);
      if (at === undefined || at >= threshold) yield entry;
    }
  } finally {
    off();
    opts.signal?.removeEventListener('abort', abort);
  }
}
