import { Worker } from 'node:worker_threads';
import { fromSystemError } from '@tscr/api';

/** How a monitor start ended, as the spawning thread saw it. */
export type SpawnOutcome =
  /** The first line the process wrote to its fd 3 (the rest of the pipe is closed). */
  | { kind: 'line'; line: string; spawnMs?: number }
  /** The process exited (with this code) before writing a line. */
  | { kind: 'exited'; code: number | null };

/** One start: `file args…`, detached, stdout/stderr appended to `logPath`, a pipe on fd 3. */
export interface SpawnRequest {
  file: string;
  args: string[];
  env: Record<string, string>;
  /** Its working directory (default: the daemon's). */
  cwd?: string;
  logPath: string;
}

/**
 * The thread's code. `spawn` forks the whole daemon and blocks the calling
 * thread until the child has exec'd: a few milliseconds on a quiet host,
 * tens under load, during which a daemon starting 50 containers at once
 * could do nothing else. Here it blocks this thread only.
 */
const SOURCE = `
const { parentPort } = require('node:worker_threads');
const { spawn } = require('node:child_process');
const { openSync, closeSync } = require('node:fs');
parentPort.on('message', ({ seq, file, args, env, cwd, logPath }) => {
  let sent = false;
  const reply = (m) => { if (!sent) { sent = true; parentPort.postMessage({ seq, ...m }); } };
  const fail = (e) => reply({ error: { code: e && e.code, message: String((e && e.message) || e) } });
  let child;
  let spawnMs;
  try {
    const fd = openSync(logPath, 'a');
    try {
      const t0 = performance.now();
      child = spawn(file, args, { stdio: ['ignore', fd, fd, 'pipe'], env, cwd, detached: true });
      spawnMs = performance.now() - t0;
    } finally {
      closeSync(fd);
    }
  } catch (e) {
    return fail(e);
  }
  // conmon's first process exits at once; its monitor holds fd 3 until it writes the line (or dies).
  let text = '';
  let code;
  let exited = false;
  let closed = false;
  const pipe = child.stdio[3];
  child.once('error', fail);
  child.once('exit', (c) => { code = c; exited = true; if (closed) reply({ code }); });
  pipe.once('close', () => { closed = true; if (exited) reply({ code }); });
  pipe.on('data', (chunk) => {
    text += chunk.toString('utf8');
    const nl = text.indexOf('\\n');
    if (nl >= 0) { reply({ line: text.slice(0, nl), spawnMs }); pipe.destroy(); }
  });
  pipe.on('error', () => undefined);
});
`;

interface Reply {
  seq: number;
  line?: string;
  /** How long `spawn` (fork and exec) held the thread. */
  spawnMs?: number;
  code?: number | null;
  error?: { code?: string; message: string };
}

/** How long the thread lives without work (it holds a few MiB). */
const IDLE_MS = 30_000;

/**
 * Starts monitor processes from a worker thread, so the daemon's event loop
 * is not blocked while the OS forks and execs them. The thread is made on
 * first use and ends after {@link IDLE_MS} without work; it never keeps the
 * process alive.
 */
export class MonitorSpawner {
  /** The thread, and the starts it has not answered yet. */
  private current: { worker: Worker; pending: Map<number, (r: Reply) => void> } | undefined;
  private seq = 0;
  private idle: NodeJS.Timeout | undefined;

  /**
   * Starts the process and resolves with its first fd-3 line, or its exit.
   * @throws a TscrError (NotFound for a missing binary) when it cannot be started.
   */
  async spawn(req: SpawnRequest): Promise<SpawnOutcome> {
    const { worker, pending } = this.ensure();
    const seq = ++this.seq;
    if (this.idle) clearTimeout(this.idle);
    this.idle = undefined;
    const reply = await new Promise<Reply>((resolve) => {
      pending.set(seq, resolve);
      worker.postMessage({ seq, ...req });
    });
    if (reply.error) {
      const err = Object.assign(new Error(reply.error.message), reply.error.code ? { code: reply.error.code } : {});
      throw fromSystemError(err, `cannot run ${req.file}`);
    }
    if (reply.line !== undefined) return { kind: 'line', line: reply.line, spawnMs: reply.spawnMs };
    return { kind: 'exited', code: reply.code ?? null };
  }

  /** Ends the thread (pending starts fail). */
  close(): void {
    const c = this.current;
    this.current = undefined;
    if (c) void c.worker.terminate();
  }

  private ensure(): { worker: Worker; pending: Map<number, (r: Reply) => void> } {
    if (this.current) return this.current;
    // No inherited flags: under `node --input-type=module` the eval'd source would be read as ESM.
    const worker = new Worker(SOURCE, { eval: true, execArgv: [] });
    const pending = new Map<number, (r: Reply) => void>();
    const current = { worker, pending };
    worker.unref();
    worker.on('message', (r: Reply) => {
      const settle = pending.get(r.seq);
      pending.delete(r.seq);
      settle?.(r);
      if (pending.size === 0 && this.current === current) {
        this.idle = setTimeout(() => this.close(), IDLE_MS);
        this.idle.unref();
      }
    });
    const lost = (why: string) => {
      if (this.current === current) this.current = undefined;
      for (const [seq, settle] of pending) settle({ seq, error: { message: why } });
      pending.clear();
    };
    worker.on('error', (err) => lost(`the monitor spawner thread failed: ${err.message}`));
    worker.on('exit', () => lost('the monitor spawner thread ended'));
    this.current = current;
    return current;
  }
}

/** The spawner of this process (one thread, made on first use). */
let shared: MonitorSpawner | undefined;

/** Starts a monitor process off the event loop (see {@link MonitorSpawner}). */
export function spawnMonitorProcess(req: SpawnRequest): Promise<SpawnOutcome> {
  shared ??= new MonitorSpawner();
  return shared.spawn(req);
}
