import { fromSystemError, type TscrError } from '@tscr/api';
import { USAGE_REASON } from './args.js';

/** Exit codes of `run`/`create`, as docker uses them. */
export const ExitCodes = {
  /** The CLI or the daemon failed (docker's 125). */
  daemonError: 125,
  /** The command exists but is not executable. */
  cannotExecute: 126,
  /** The command was not found in the container. */
  notFound: 127,
} as const;

/** True for argument mistakes detected by the CLI itself. */
export function isUsageError(err: unknown): boolean {
  const e = fromSystemError(err);
  return e.code === 'InvalidArgument' && e.details.reason === USAGE_REASON;
}

/**
 * How the daemon address reads in messages (`unix:///run/tscr/tscr.sock`),
 * as `parseEndpoint` displays it; kept here so printing an error never loads grpc-js.
 */
export function displayHost(host: string): string {
  const h = host.trim();
  if (h.startsWith('unix://') || h.startsWith('tcp://')) return h;
  return h.startsWith('/') ? `unix://${h}` : `tcp://${h}`;
}

/**
 * The line printed for a failed command: the daemon-down hint for
 * Unavailable (naming the address tried) unless the error names a registry,
 * reference or plugin (the daemon answered; something behind it is unreachable), else `Error: <message>`.
 */
export function errorMessage(err: unknown, host: string): string {
  const e: TscrError = fromSystemError(err);
  // An unreachable registry or plugin (the error names it) is not an unreachable daemon.
  const registryDown =
    e.details.registry !== undefined || e.details.ref !== undefined || e.details.plugin !== undefined;
  if (e.code === 'Unavailable' && !registryDown)
    return `Cannot connect to the tscr daemon at ${displayHost(host)}. Is tscrd running?`;
  return `Error: ${e.message}`;
}

/**
 * The exit code of `run` when starting the container failed: 127 when the
 * command is not in the image, 126 when it cannot be executed, else 125.
 */
export function startFailureExitCode(err: unknown): number {
  const reason = fromSystemError(err).details.reason;
  if (reason === 'ExecutableNotFound') return ExitCodes.notFound;
  if (reason === 'ExecutableNotExecutable') return ExitCodes.cannotExecute;
  return ExitCodes.daemonError;
}

/** Details worth showing with `--debug`: code, details and the cause chain. */
export function debugDetails(err: unknown): string {
  const e = fromSystemError(err);
  const lines = [`code: ${e.code}`];
  if (Object.keys(e.details).length > 0) lines.push(`details: ${JSON.stringify(e.details)}`);
  let cause: unknown = e.cause;
  while (cause !== undefined) {
    lines.push(`cause: ${cause instanceof Error ? (cause.stack ?? cause.message) : String(cause)}`);
    cause = cause instanceof Error ? cause.cause : undefined;
  }
  if (e.stack) lines.push(e.stack);
  return lines.join('\n');
}
