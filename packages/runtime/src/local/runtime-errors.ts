/**
 * The one place that reads an OCI runtime's (runc's, crun's) error text. The runtimes report why they
 * failed only in words, so every classification of those words into a TscrError code lives here.
 */
import { TscrError } from '@tscr/api';
import type { CommandFailed } from './exec.js';

/**
 * The human message of an OCI runtime's stderr: runc and crun with
 * `--log-format json` print one JSON object per line with a `msg` field;
 * anything else is kept as it is.
 */
export function runtimeMessage(text: string): string {
  const msgs = text
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean)
    .map((line) => {
      try {
        const o = JSON.parse(line) as { msg?: unknown };
        if (typeof o.msg === 'string') return o.msg;
      } catch {
        /* not JSON: fall through */
      }
      const m = /\bmsg="((?:[^"\\]|\\.)*)"/.exec(line);
      return m ? m[1]!.replace(/\\(.)/g, '$1') : line;
    });
  return msgs.join('; ');
}

/** Words with which the runtimes refuse an operation for the task's state (`container not running`…). */
const WRONG_STATE = /not running|not paused|is paused|stopped/i;

/**
 * A failed runtime command (`kill`, `pause`, `update`…) as a TscrError: FailedPrecondition when the
 * runtime says the task is in the wrong state, else Internal; the message is the runtime's own.
 */
export function runtimeFailure(what: string, err: CommandFailed): TscrError {
  const msg = runtimeMessage(err.stderr) || err.message;
  return new TscrError(WRONG_STATE.test(msg) ? 'FailedPrecondition' : 'Internal', `${what}: ${msg}`, { cause: err });
}

/**
 * Classifies the OCI runtime's `create` failure. Only the runtime's own text
 * tells why it failed, so this is the one place that reads it.
 */
export function createError(message: string): TscrError {
  const msg = runtimeMessage(message);
  const exec = /exec: "([^"]*)": (.*)$/.exec(msg) ?? /executable file `([^`]*)` not found/.exec(msg);
  if (exec && /not found|no such file/.test(msg)) {
    const text = exec[2] !== undefined ? `exec: "${exec[1]}": ${exec[2]}` : msg;
    return new TscrError('NotFound', text, { details: { reason: 'ExecutableNotFound', executable: exec[1]! } });
  }
  if (exec && /permission denied/i.test(msg)) {
    return new TscrError('PermissionDenied', `exec: "${exec[1]}": ${exec[2] ?? 'permission denied'}`, {
      details: { reason: 'ExecutableNotExecutable', executable: exec[1]! },
    });
  }
  return new TscrError('FailedPrecondition', `OCI runtime create failed: ${msg}`);
}
