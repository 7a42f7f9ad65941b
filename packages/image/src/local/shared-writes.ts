import { throwIfAborted } from './fs-util.js';

/**
 * Writes keyed by digest that concurrent callers share: while one write of
 * a digest runs, another caller waits for it instead of writing again, and
 * drops its own data. When the running write fails, the waiter writes with
 * its own data.
 */
export class SharedWrites {
  private readonly running = new Map<string, Promise<void>>();

  /** Runs `write` for `key` unless a write of `key` is running; then waits for that one. */
  async run(
    key: string,
    data: AsyncIterable<Uint8Array>,
    write: () => Promise<void>,
    signal?: AbortSignal,
  ): Promise<void> {
    for (let other = this.running.get(key); other; other = this.running.get(key)) {
      try {
        await other;
        await data[Symbol.asyncIterator]().return?.();
        return;
      } catch {
        throwIfAborted(signal); // the other write failed: try with ours
      }
    }
    const mine = write();
    this.running.set(key, mine);
    try {
      await mine;
    } finally {
      if (this.running.get(key) === mine) this.running.delete(key);
    }
  }
}
