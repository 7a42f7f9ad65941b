import { randomBytes } from 'node:crypto';
import { cancelled, isTscrError } from '@tscr/api';
import type { TaskRuntime } from '../types.js';

/** Options of {@link execCapture}. */
export interface ExecCaptureOptions {
  /** Kill the process after this long; the result then has `timedOut` and exit code -1. */
  timeoutMs?: number;
  /** Bytes of combined output kept (the rest is read and dropped). Default 4096, as Docker's health log. */
  maxOutput?: number;
  env?: string[];
  user?: string;
  cwd?: string;
  signal?: AbortSignal;
}

/** What {@link execCapture} saw. */
export interface ExecCaptureResult {
  /** The process's exit code; 127/126 when args[0] is missing/not executable; -1 after a timeout. */
  exitCode: number;
  /** stdout and stderr interleaved, at most `maxOutput` bytes, as UTF-8. */
  output: string;
  timedOut: boolean;
}

/**
 * Runs `argv` in a running task and collects its combined output with a
 * bound and a timeout (a health probe, a hook). Works with any TaskRuntime.
 * @throws NotFound (no task); FailedPrecondition (not running); Cancelled when `signal` aborts.
 */
export async function execCapture(
  runtime: Pick<TaskRuntime, 'exec'>,
  id: string,
  argv: string[],
  opts: ExecCaptureOptions = {},
): Promise<ExecCaptureResult> {
  const max = opts.maxOutput ?? 4096;
  const timeout = opts.timeoutMs ? AbortSignal.timeout(opts.timeoutMs) : undefined;
  const signal =
    timeout && opts.signal ? AbortSignal.any([timeout, opts.signal]) : (timeout ?? opts.signal ?? undefined);
  let session: Awaited<ReturnType<TaskRuntime['exec']>>;
  try {
    session = await runtime.exec(
      id,
      {
        id: `probe-${randomBytes(6).toString('hex')}`,
        args: argv,
        ...(opts.env ? { env: opts.env } : {}),
        ...(opts.user ? { user: opts.user } : {}),
        ...(opts.cwd ? { cwd: opts.cwd } : {}),
      },
      {},
      signal ? { signal } : {},
    );
  } catch (err) {
    if (isTscrError(err) && err.details?.reason === 'ExecutableNotFound') {
      return { exitCode: 127, output: err.message, timedOut: false };
    }
    if (isTscrError(err) && err.details?.reason === 'ExecutableNotExecutable') {
      return { exitCode: 126, output: err.message, timedOut: false };
    }
    throw err;
  }
  const chunks: Buffer[] = [];
  let kept = 0;
  let exitCode = -1;
  try {
    for await (const chunk of session.output) {
      if (kept < max) {
        const part = Buffer.from(chunk.data).subarray(0, max - kept);
        chunks.push(part);
        kept += part.length;
      }
    }
    exitCode = (await session.exit).exitCode;
  } catch (err) {
    // Over gRPC the abort cancels the call: the stream fails instead of ending.
    if (!signal?.aborted) throw err;
  }
  if (opts.signal?.aborted) throw cancelled('exec cancelled');
  const timedOut = timeout?.aborted ?? false;
  return { exitCode: timedOut ? -1 : exitCode, output: Buffer.concat(chunks).toString('utf8'), timedOut };
}
