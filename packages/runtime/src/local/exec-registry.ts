import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { alreadyExists, cancelled, failedPrecondition, notFound } from '@tscr/api';
import type { AttachSession, CallOptions, ExecSession, ExecSpec, TaskIO, TaskStatus, TerminalSize } from '../types.js';
import { startAttach } from './attach-relay.js';
import { sealedRuntime } from './conmon.js';
import { resizeThroughMonitor } from './console-relay.js';
import { type LiveExec, startExec } from './exec-session.js';
import { findRelay } from './relay.js';

/** What the stdio side needs to know about a task. */
export interface LiveTask {
  status: TaskStatus;
  /** Host PID of its init (0 when not running). */
  pid: number;
  bundle: string;
  runtimeBinary: string;
  /** The runtime's `--root`. */
  runtimeRoot: string;
}

/** How the task runtime lends itself to {@link TaskStdio}. */
export interface StdioHost {
  /** Where exec sessions keep their files (`<stateDir>/execs`). */
  execsDir: string;
  /** A configured relay path (else the default places). */
  relayPath?: string;
  /** @throws NotFound. */
  task(id: string): Promise<LiveTask>;
}

/** The bundle file that says how a task's stdio was set up. */
const STDIO_FILE = 'stdio.json';

/** How a task's stdio was set up (kept in its bundle). */
export interface StdioInfo {
  terminal: boolean;
  openStdin: boolean;
}

/** Records the task's stdio set-up in its bundle. */
export function writeStdioInfo(bundle: string, info: StdioInfo): void {
  writeFileSync(join(bundle, STDIO_FILE), JSON.stringify(info)); // a few bytes, with the bundle's other files
}

async function readStdioInfo(bundle: string): Promise<StdioInfo> {
  try {
    return JSON.parse(await readFile(join(bundle, STDIO_FILE), 'utf8')) as StdioInfo;
  } catch {
    return { terminal: false, openStdin: false };
  }
}

function notRunning(id: string) {
  return failedPrecondition(`container ${id} is not running`, { details: { reason: 'NotRunning', id } });
}

/**
 * Exec sessions, attaches and resizes of a task runtime's tasks. Exec
 * sessions live in this process (their stdio is ours); attaches go through
 * the task's monitor and survive nothing but the caller.
 */
export class TaskStdio {
  private readonly execs = new Map<string, LiveExec>();

  constructor(private readonly host: StdioHost) {}

  async exec(id: string, spec: ExecSpec, io: TaskIO = {}, opts?: CallOptions): Promise<ExecSession> {
    if (opts?.signal?.aborted) throw cancelled('call cancelled');
    const task = await this.host.task(id);
    if (task.status !== 'running' || task.pid <= 0) throw notRunning(id);
    const key = `${id}/${spec.id}`;
    if (this.execs.has(key)) throw alreadyExists(`exec ${spec.id} is already running in ${id}`);
    const session = await startExec(
      {
        taskId: id,
        bundle: task.bundle,
        initPid: task.pid,
        // runc from the relay's sealed copy: its `runc init` then skips copying runc (see conmon.ts).
        runtimeBinary: (await sealedRuntime(this.host.relayPath, task.runtimeBinary)) ?? task.runtimeBinary,
        runtimeArgs: ['--root', task.runtimeRoot],
        // Short: the console socket's path goes to runc, and socket paths are limited to 108 bytes.
        execDir: join(this.host.execsDir, randomBytes(8).toString('hex')),
        relayPath: () => findRelay(this.host.relayPath),
      },
      spec,
      io,
      opts?.signal,
    );
    this.execs.set(key, session);
    void session.exit.finally(() => this.execs.delete(key));
    return session;
  }

  async resizeExec(id: string, execId: string, size: TerminalSize): Promise<void> {
    const session = this.execs.get(`${id}/${execId}`);
    if (!session) throw notFound(`no running exec ${execId} in ${id}`, { details: { id, execId } });
    await session.resize(size);
  }

  async attach(id: string, io: TaskIO = {}, opts?: CallOptions): Promise<AttachSession> {
    if (opts?.signal?.aborted) throw cancelled('call cancelled');
    const task = await this.host.task(id);
    if (task.status === 'stopped') throw notRunning(id);
    if (io.stdin && !(await readStdioInfo(task.bundle)).openStdin) {
      throw failedPrecondition(`container ${id} was not created with an open stdin (-i)`, {
        details: { reason: 'NoStdin', id },
      });
    }
    const relay = await findRelay(this.host.relayPath);
    return startAttach(relay, join(task.bundle, 'attach'), id, io, opts?.signal);
  }

  async resize(id: string, size: TerminalSize): Promise<void> {
    const task = await this.host.task(id);
    if (task.status === 'stopped') throw notRunning(id);
    if (!(await readStdioInfo(task.bundle)).terminal) {
      throw failedPrecondition(`container ${id} has no TTY`, { details: { reason: 'NoTerminal', id } });
    }
    await resizeThroughMonitor(join(task.bundle, 'ctl'), size);
  }
}
