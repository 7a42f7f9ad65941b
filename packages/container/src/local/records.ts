import {
  isTscrError,
  type ContainerInfo,
  type ContainerState,
  type ContainerSummary,
  type ExitStatus,
} from '@tscr/api';
import { statusText } from './status-text.js';

/** The state of a container that was never started. */
export function createdState(): ContainerState {
  return {
    status: 'created',
    running: false,
    pid: 0,
    exitCode: 0,
    error: '',
    oomKilled: false,
    startedAt: '',
    finishedAt: '',
  };
}

/** The exit status a record describes (for `wait` on a container that is not running). */
export function exitStatusOf(info: ContainerInfo): ExitStatus {
  const status: ExitStatus = { exitCode: info.state.exitCode, exitedAt: info.state.finishedAt };
  if (info.state.oomKilled) status.oomKilled = true;
  if (info.state.error) status.error = info.state.error;
  return status;
}

/** Quotes like Docker's `COMMAND` column: `"sh -c 'echo hi'"` (without the outer quotes). */
export function commandLine(info: ContainerInfo): string {
  return [info.path, ...info.args]
    .map((a) => (/[\s'"]/.test(a) || a === '' ? `'${a.replace(/'/g, `'\\''`)}'` : a))
    .join(' ');
}

/** One `ps` row. */
export function toSummary(info: ContainerInfo, now = Date.now()): ContainerSummary {
  return {
    id: info.id,
    names: [`/${info.name}`],
    image: info.config.image,
    imageId: info.image,
    command: commandLine(info),
    created: info.created,
    state: info.state.status,
    status: statusText(info.state, now),
    labels: { ...(info.config.labels ?? {}) },
  };
}

/** The current time as RFC 3339 with nanoseconds (microsecond resolution), UTC. */
export function nowRfc3339Nano(): string {
  const micros = BigInt(Math.round((performance.timeOrigin + performance.now()) * 1000));
  const seconds = new Date(Number(micros / 1_000_000n) * 1000).toISOString().slice(0, 19);
  const frac = ((micros % 1_000_000n) * 1000n).toString().padStart(9, '0');
  return `${seconds}.${frac}Z`;
}

/** RFC 3339 (any fraction, `Z` or an offset) to nanoseconds since the epoch; undefined when unparsable. */
export function rfc3339Nanos(time: string): bigint | undefined {
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d+))?(Z|z|[+-]\d{2}:\d{2})$/.exec(time);
  if (!m) return undefined;
  const ms = Date.parse(`${m[1]}${m[3]!.toUpperCase()}`);
  if (Number.isNaN(ms)) return undefined;
  return BigInt(ms) * 1_000_000n + BigInt((m[2] ?? '').padEnd(9, '0').slice(0, 9));
}

/** Exit code a failed start leaves behind, as Docker reports it. */
export function startFailureExitCode(err: unknown): number {
  const reason = isTscrError(err) ? err.details.reason : undefined;
  if (reason === 'ExecutableNotFound') return 127;
  if (reason === 'ExecutableNotExecutable') return 126;
  return 128;
}
