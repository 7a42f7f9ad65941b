import { failedPrecondition, type ContainerInfo } from '@tscr/api';
import type { AttachSession, TaskIO, TaskRuntime } from '@tscr/runtime';
import type { OutputChunk, StdioAttachOptions } from '../types.js';

type Joiner = () => Promise<void>;

/**
 * Interactive attaches of containers (`attachStdio`). A container that is
 * not running is joined at its next start, between the creation of its task
 * and the release of its process (see {@link beforeStart}), so no output or
 * input is missed.
 */
export class StdioAttacher {
  private readonly waiting = new Map<string, Set<Joiner>>();

  constructor(private readonly runtime: Pick<TaskRuntime, 'attach'>) {}

  /**
   * True when attaches wait for the next start of container `id`: its
   * process must then not run before {@link beforeStart} has joined them.
   */
  waitingFor(id: string): boolean {
    return this.waiting.has(id);
  }

  /** Joins the attaches waiting for container `id`; called once its task exists, before it starts. */
  async beforeStart(id: string): Promise<void> {
    const joiners = this.waiting.get(id);
    if (!joiners) return;
    this.waiting.delete(id);
    await Promise.all([...joiners].map((join) => join()));
  }

  /** See {@link ContainerStdio.attachStdio}. `info` is read before the first await. */
  async *attach(info: ContainerInfo, opts: StdioAttachOptions): AsyncGenerator<OutputChunk> {
    if (opts.stdin && !info.config.openStdin) {
      throw failedPrecondition(`container ${info.id} was not created with an open stdin (-i)`, {
        details: { reason: 'NoStdin', id: info.id },
      });
    }
    if (opts.tty && !info.config.tty) {
      throw failedPrecondition(`container ${info.id} has no TTY: attach without one`, {
        details: { reason: 'NoTerminal', id: info.id },
      });
    }
    const io: TaskIO = opts.stdin ? { stdin: opts.stdin } : {};
    const call = opts.signal ? { signal: opts.signal } : {};
    let session: AttachSession | undefined;
    if (info.state.running) {
      session = await this.runtime.attach(info.id, io, call);
      opts.onAttached?.();
    } else {
      session = await this.atNextStart(info.id, io, call, opts);
      if (!session) return;
    }
    const wantOut = opts.stdout !== false;
    const wantErr = opts.stderr !== false;
    for await (const chunk of session.output) {
      if (chunk.stream === 'stdout' ? wantOut : wantErr) yield chunk;
    }
  }

  /** Waits for the next start of `id` and joins it then; undefined when aborted first. */
  private atNextStart(
    id: string,
    io: TaskIO,
    call: { signal?: AbortSignal },
    opts: StdioAttachOptions,
  ): Promise<AttachSession | undefined> {
    return new Promise<AttachSession | undefined>((resolve, reject) => {
      const joiners = this.waiting.get(id) ?? new Set<Joiner>();
      this.waiting.set(id, joiners);
      const join: Joiner = async () => {
        call.signal?.removeEventListener('abort', onAbort);
        try {
          resolve(await this.runtime.attach(id, io, call));
        } catch (err) {
          reject(err);
        }
      };
      const onAbort = () => {
        joiners.delete(join);
        if (joiners.size === 0 && this.waiting.get(id) === joiners) this.waiting.delete(id);
        resolve(undefined);
      };
      joiners.add(join);
      call.signal?.addEventListener('abort', onAbort, { once: true });
      opts.onAttached?.();
    });
  }
}
