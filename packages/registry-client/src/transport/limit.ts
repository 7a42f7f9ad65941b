/** Runs async work with at most `n` tasks at a time. */
export interface Limiter {
  /** Runs `task` when a slot is free; resolves or rejects with its outcome. */
  run<T>(task: () => Promise<T>): Promise<T>;
}

/** Creates a {@link Limiter} allowing `n` (≥ 1) concurrent tasks, served in arrival order. */
export function createLimiter(n: number): Limiter {
  const size = Math.max(1, Math.floor(n));
  let active = 0;
  const waiting: Array<() => void> = [];
  // A finishing task hands its slot straight to the next waiter.
  const release = () => {
    const next = waiting.shift();
    if (next) next();
    else active--;
  };
  return {
    async run<T>(task: () => Promise<T>): Promise<T> {
      if (active >= size) await new Promise<void>((resolve) => waiting.push(resolve));
      else active++;
      try {
        return await task();
      } finally {
        release();
      }
    },
  };
}

/**
 * Runs every task with at most `n` at a time. When one fails, `onFailure`
 * runs at once (to abort the others), every task is still awaited, and the
 * first failure that is not a cancellation is raised.
 */
export async function runAll(tasks: Array<() => Promise<void>>, n: number, onFailure: () => void): Promise<void> {
  const limiter = createLimiter(n);
  const results = await Promise.allSettled(
    tasks.map((t) =>
      limiter.run(t).catch((err: unknown) => {
        onFailure();
        throw err;
      }),
    ),
  );
  const failures = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
  if (failures.length) {
    throw failures.find((e) => (e as { code?: unknown })?.code !== 'Cancelled') ?? failures[0];
  }
}
