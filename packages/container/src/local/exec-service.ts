import { randomBytes } from 'node:crypto';
import { failedPrecondition, failpoint, invalidArgument, isTscrError, notFound, type ContainerInfo } from '@tscr/api';
import type { ExecSpec, TaskRuntime } from '@tscr/runtime';
import type { ExecConfig, ExecInfo, OutputChunk, StartExecOptions, TerminalSize } from '../types.js';

/** Finished exec records kept for inspection; the oldest go first. */
const MAX_FINISHED = 256;

interface ExecRecord {
  info: ExecInfo;
  started: boolean;
}

/** Docker's exit code for an exec that could not start: 127 not found, 126 otherwise. */
function startFailureCode(err: unknown): number {
  return isTscrError(err) && err.details.reason === 'ExecutableNotFound' ? 127 : 126;
}

/**
 * Exec instances of containers: created, then started once, inspectable
 * afterwards (exit code, pid). Records live in memory, as Docker's do.
 */
export class ExecService {
  private readonly execs = new Map<string, ExecRecord>();

  constructor(
    private readonly runtime: Pick<TaskRuntime, 'exec' | 'resizeExec'>,
    /** Resolves a container reference. @throws NotFound. */
    private readonly resolve: (ref: string) => ContainerInfo,
  ) {}

  create(ref: string, config: ExecConfig): { id: string } {
    const info = this.resolve(ref);
    if (!config.cmd?.length || !config.cmd[0]) throw invalidArgument('no exec command specified');
    if (!info.state.running) {
      throw failedPrecondition(`container ${info.id} is not running`, {
        details: { reason: 'NotRunning', id: info.id },
      });
    }
    if (info.state.paused) {
      throw failedPrecondition(`container ${info.id} is paused, unpause the container before exec`, {
        details: { reason: 'Paused', id: info.id },
      });
    }
    const id = randomBytes(32).toString('hex');
    this.execs.set(id, {
      info: { id, containerId: info.id, config: { ...config }, running: false, exitCode: null, pid: 0 },
      started: false,
    });
    this.prune();
    return { id };
  }

  inspect(execId: string): ExecInfo {
    const { info } = this.record(execId);
    return { ...info, config: { ...info.config } };
  }

  async resize(execId: string, size: TerminalSize): Promise<void> {
    const { info } = this.record(execId);
    if (!info.running) throw failedPrecondition(`exec ${execId} is not running`);
    if (!info.config.tty) throw failedPrecondition(`exec ${execId} has no TTY`, { details: { reason: 'NoTerminal' } });
    await this.runtime.resizeExec(info.containerId, execId, size);
  }

  async *start(execId: string, opts: StartExecOptions): AsyncGenerator<OutputChunk> {
    const rec = this.record(execId);
    if (rec.started) throw failedPrecondition(`exec ${execId} has already been started`);
    rec.started = true;
    const { info } = rec;
    const cfg = info.config;
    const spec: ExecSpec = {
      id: execId,
      args: cfg.cmd,
      ...(cfg.env?.length ? { env: cfg.env } : {}),
      ...(cfg.workingDir ? { cwd: cfg.workingDir } : {}),
      ...(cfg.user ? { user: cfg.user } : {}),
      ...(cfg.tty ? { terminal: true } : {}),
      ...(cfg.privileged ? { privileged: true } : {}),
      ...(cfg.tty && opts.size ? { size: opts.size } : {}),
    };
    const stdin = cfg.attachStdin && !opts.detach ? opts.stdin : undefined;
    let session: Awaited<ReturnType<TaskRuntime['exec']>>;
    try {
      session = await this.runtime.exec(info.containerId, spec, { ...(stdin ? { stdin } : {}), output: !opts.detach });
    } catch (err) {
      info.exitCode = startFailureCode(err);
      throw err;
    }
    info.running = true;
    info.pid = session.pid;
    failpoint('container.exec.after-start');
    const finished = session.exit.then(
      (exit) => {
        info.exitCode = exit.exitCode;
      },
      () => {
        info.exitCode ??= 126;
      },
    );
    void finished.then(() => {
      info.running = false;
      info.pid = 0;
    });
    if (opts.detach) return;
    const wantOut = cfg.attachStdout !== false;
    const wantErr = cfg.attachStderr !== false;
    // As Docker's: the caller going away (abort, leaving the stream) detaches; the exec runs on.
    const it = session.output[Symbol.asyncIterator]();
    const signal = opts.signal;
    const detached = new Promise<undefined>((resolve) => {
      if (signal?.aborted) resolve(undefined);
      signal?.addEventListener('abort', () => resolve(undefined), { once: true });
    });
    let ended = false;
    try {
      for (;;) {
        const r = await Promise.race([it.next(), detached]);
        if (!r) break;
        if (r.done) {
          ended = true;
          break;
        }
        if (r.value.stream === 'stdout' ? wantOut : wantErr) yield r.value;
      }
    } finally {
      if (!ended) void it.return?.();
    }
    if (signal?.aborted) return;
    await finished;
    info.running = false;
    info.pid = 0;
  }

  private record(execId: string): ExecRecord {
    const rec = this.execs.get(execId);
    if (!rec) throw notFound(`no such exec instance: ${execId}`, { details: { id: execId } });
    return rec;
  }

  private prune(): void {
    const finished = [...this.execs.values()].filter((r) => r.started && !r.info.running);
    for (const r of finished.slice(0, Math.max(0, finished.length - MAX_FINISHED))) this.execs.delete(r.info.id);
  }
}
