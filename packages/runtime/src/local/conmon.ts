import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { fromSystemError, internal } from '@tscr/api';
import { createError } from './runtime-errors.js';

export { createError };

/** How to start one task's monitor. */
export interface MonitorOptions {
  /** The conmon binary. */
  conmonPath: string;
  id: string;
  /** The OCI runtime binary conmon runs (`create`). */
  runtimePath: string;
  /** Global arguments for the runtime (`--root …`). */
  runtimeArgs: string[];
  bundle: string;
  /** k8s-file log the task's output goes to. */
  logPath: string;
  /** Where conmon writes `<id>` with the exit code. */
  exitDir: string;
  /** Where conmon puts the attach socket link. */
  socketDir: string;
  terminal?: boolean;
  /** Give the task a stdin pipe that attaches write to. */
  stdin?: boolean;
  /** Keep that stdin open when an attach that wrote to it ends. */
  leaveStdinOpen?: boolean;
}

/** The monitor's own stdout/stderr, kept in the bundle for diagnostics. */
export const MONITOR_LOG = 'conmon.log';

/** conmon's argv for `o`. */
export function monitorArgs(o: MonitorOptions): string[] {
  return [
    '--api-version',
    '1',
    '-c',
    o.id,
    '-u',
    o.id,
    '-n',
    o.id,
    '-r',
    o.runtimePath,
    '-b',
    o.bundle,
    '-p',
    join(o.bundle, 'pidfile'),
    '-P',
    join(o.bundle, 'conmon.pid'),
    '-l',
    `k8s-file:${o.logPath}`,
    '--exit-dir',
    o.exitDir,
    '--persist-dir',
    o.bundle,
    '--socket-dir-path',
    o.socketDir,
    ...o.runtimeArgs.flatMap((a) => ['--runtime-arg', a]),
    '--log-level',
    'error',
    '--no-sync-log',
    ...(o.terminal ? ['-t'] : []),
    ...(o.stdin ? ['-i'] : []),
    ...(o.stdin && o.leaveStdinOpen ? ['--leave-stdin-open'] : []),
  ];
}

/** conmon's sync message: `{"data": <pid>}` or `{"data": -1, "message": "…"}`. */
interface SyncMessage {
  data: number;
  message?: string;
}

/** Reads the first complete JSON line from the sync pipe; undefined when it closes first. */
function readSyncMessage(pipe: Readable): Promise<SyncMessage | undefined> {
  return new Promise((resolve) => {
    let text = '';
    const finish = (msg: SyncMessage | undefined) => {
      pipe.off('data', onData);
      pipe.off('close', onEnd);
      pipe.off('error', onEnd);
      pipe.destroy();
      resolve(msg);
    };
    const onData = (chunk: Buffer) => {
      text += chunk.toString('utf8');
      const nl = text.indexOf('\n');
      if (nl < 0) return;
      try {
        finish(JSON.parse(text.slice(0, nl)) as SyncMessage);
      } catch {
        finish({ data: -1, message: text.slice(0, nl) });
      }
    };
    const onEnd = () => finish(undefined);
    pipe.on('data', onData);
    pipe.on('close', onEnd);
    pipe.on('error', onEnd);
  });
}

/**
 * Starts conmon for a task with a sync pipe on fd 3 and waits until the OCI
 * runtime has created the container. conmon double-forks, so the process
 * started here exits at once (it is reaped here); the monitor lives on.
 * @returns the host PID of the container's init process.
 * @throws see {@link createError}; Internal when conmon itself fails.
 */
export async function startMonitor(o: MonitorOptions): Promise<number> {
  const logFd = openSync(join(o.bundle, MONITOR_LOG), 'a');
  let child: ChildProcess;
  try {
    child = spawn(o.conmonPath, monitorArgs(o), {
      stdio: ['ignore', logFd, logFd, 'pipe'],
      env: { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin', _OCI_SYNCPIPE: '3' },
      detached: true,
    });
  } finally {
    closeSync(logFd);
  }
  const exited = new Promise<number | null>((resolve, reject) => {
    child.once('exit', (code) => resolve(code));
    child.once('error', (err) => reject(fromSystemError(err, `cannot run ${o.conmonPath}`)));
  });
  const [message, code] = await Promise.all([readSyncMessage(child.stdio[3] as Readable), exited]);
  if (message && message.data > 0) return message.data;
  if (message) throw createError(message.message ?? '');
  const log = await readFile(join(o.bundle, MONITOR_LOG), 'utf8').catch(() => '');
  throw internal(`conmon exited (code ${code}) without reporting the container: ${log.trim()}`);
}
