import { cancelled, invalidArgument, type ContainerInfo, type ExitStatus } from '@tscr/api';
import type { WaitCondition } from '../types.js';
import { exitStatusOf } from './records.js';

/** What happened to a container, as seen by in-process waiters. */
export type LifecycleEvent =
  /** A run began; its output is logged from `since` (RFC 3339, nanoseconds) on. */
  | { kind: 'start'; since: string }
  /** A run ended (or a start failed: then `status.error` is set). */
  | { kind: 'exit'; status: ExitStatus }
  /** The container is gone; `status` is its last exit status. */
  | { kind: 'remove'; status: ExitStatus };

type Listener = (event: LifecycleEvent) => void;

/** Per-container listeners for starts, exits and removals. In-memory only. */
export class Lifecycle {
  private readonly listeners = new Map<string, Set<Listener>>();

  /** Calls `listener` for every event of container `id` until the returned function is called. */
  on(id: string, listener: Listener): () => void {
    const set = this.listeners.get(id) ?? new Set();
    this.listeners.set(id, set);
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0 && this.listeners.get(id) === set) this.listeners.delete(id);
    };
  }

  /** Tells every listener of `id`. */
  emit(id: string, event: LifecycleEvent): void {
    for (const listener of [...(this.listeners.get(id) ?? [])]) listener(event);
  }

  /**
   * Resolves with the value `pick` returns for the first event it accepts
   * (anything but `undefined`). Rejects with Cancelled when `signal` aborts.
   */
  next<T>(id: string, pick: (e: LifecycleEvent) => T | undefined, signal?: AbortSignal): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (signal?.aborted) return reject(cancelled('wait cancelled'));
      const onAbort = () => {
        off();
        reject(cancelled('wait cancelled'));
      };
      const off = this.on(id, (event) => {
        const value = pick(event);
        if (value === undefined) return;
        off();
        signal?.removeEventListener('abort', onAbort);
        resolve(value);
      });
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}

/**
 * Docker's wait conditions: `not-running` (at once when not running),
 * `next-exit` (the next exit or failed start), `removed`.
 * @throws InvalidArgument for another condition; Cancelled on abort.
 */
export function waitFor(
  lifecycle: Lifecycle,
  info: ContainerInfo,
  condition: WaitCondition,
  signal?: AbortSignal,
): Promise<ExitStatus> {
  const onExit = (e: LifecycleEvent) => (e.kind === 'start' ? undefined : e.status);
  switch (condition) {
    case 'not-running':
      return info.state.running ? lifecycle.next(info.id, onExit, signal) : Promise.resolve(exitStatusOf(info));
    case 'next-exit':
      return lifecycle.next(info.id, onExit, signal);
    case 'removed':
      return lifecycle.next(info.id, (e) => (e.kind === 'remove' ? e.status : undefined), signal);
    default:
      return Promise.reject(invalidArgument(`invalid wait condition: ${String(condition)}`));
  }
}
