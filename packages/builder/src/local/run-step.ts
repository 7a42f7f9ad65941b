import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { failedPrecondition, failpoint, type Mount } from '@tscr/api';
import type { TaskRuntime } from '@tscr/runtime';
import { readLogs } from '@tscr/runtime/local';

/** What a RUN step runs. */
export interface RunSpec {
  /** Task ID (also the snapshot key). */
  id: string;
  rootfs: Mount[];
  args: string[];
  env: string[];
  cwd: string;
  user?: string;
  network: 'none' | 'host';
  /** Directory for the task's log file. */
  workDir: string;
  /** Receives output as it comes; awaiting it applies backpressure. */
  output: (data: Uint8Array) => Promise<void>;
  /** How the step is named in errors, e.g. `step 3/5 (Dockerfile:4)`. */
  where: string;
  signal?: AbortSignal;
}

/**
 * Runs one RUN command as a task of `runtime` on the given root
 * filesystem, streaming its output, and deletes the task afterwards
 * (also on failure or abort).
 * @throws FailedPrecondition (details: exitCode) when it exits non-zero.
 */
export async function runStep(runtime: TaskRuntime, spec: RunSpec): Promise<void> {
  const logPath = join(spec.workDir, `${spec.id}.log`);
  await writeFile(logPath, '');
  const opts = { signal: spec.signal };
  let created = false;
  try {
    await runtime.create(
      {
        id: spec.id,
        rootfs: spec.rootfs,
        process: { args: spec.args, env: spec.env, cwd: spec.cwd, user: spec.user },
        hostname: spec.id.slice(0, 12),
        network: { mode: spec.network },
        logPath,
        annotations: { 'org.tscr.build': 'true' },
      },
      // The start follows at once and the output is read from the log: the process may run before it.
      { ...opts, startEarly: true },
    );
    created = true;
    await runtime.start(spec.id, opts);
    failpoint('build.run.mid-run');
    const exited = runtime.wait(spec.id, opts);
    // Awaited below, but an abort ends the log loop first: its rejection must not go unhandled (that ends the daemon).
    exited.catch(() => undefined);
    for await (const entry of readLogs(logPath, {
      follow: true,
      stopped: exited,
      signal: spec.signal,
      pollIntervalMs: 100,
    })) {
      await spec.output(entry.data);
    }
    const status = await exited;
    if (status.exitCode !== 0) {
      const shown = spec.args.join(' ');
      throw failedPrecondition(`${spec.where}: the command '${shown}' returned a non-zero code: ${status.exitCode}`, {
        details: { step: spec.where, exitCode: String(status.exitCode) },
      });
    }
  } finally {
    if (created) await runtime.delete(spec.id, { force: true }).catch(() => undefined);
  }
}
