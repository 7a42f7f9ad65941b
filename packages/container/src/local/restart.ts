import { invalidArgument, type RestartPolicy } from '@tscr/api';

/** Docker's back-off: 100 ms, doubled per restart, capped at one minute, reset after 10 s of running. */
export const RESTART_BACKOFF = {
  initialMs: 100,
  multiplier: 2,
  maxMs: 60_000,
  resetAfterRunningMs: 10_000,
} as const;

const POLICY_NAMES: readonly string[] = ['no', 'always', 'unless-stopped', 'on-failure'];

/**
 * Checks a restart policy as `create` receives it.
 * @throws InvalidArgument for an unknown name, a negative retry count, a
 * retry count with a policy other than `on-failure`, or a policy with `autoRemove`.
 */
export function validateRestartPolicy(policy: RestartPolicy | undefined, autoRemove: boolean): void {
  if (!policy) return;
  if (!POLICY_NAMES.includes(policy.name)) {
    throw invalidArgument(`invalid restart policy: ${JSON.stringify(policy.name)}`, {
      details: { reason: 'InvalidRestartPolicy' },
    });
  }
  const max = policy.maximumRetryCount ?? 0;
  if (!Number.isInteger(max) || max < 0) {
    throw invalidArgument(`invalid restart policy: maximum retry count must be a non-negative integer: ${max}`, {
      details: { reason: 'InvalidRestartPolicy' },
    });
  }
  if (max > 0 && policy.name !== 'on-failure') {
    throw invalidArgument(`invalid restart policy: maximum retry count can only be used with 'on-failure'`, {
      details: { reason: 'InvalidRestartPolicy' },
    });
  }
  if (autoRemove && policy.name !== 'no') {
    throw invalidArgument('conflicting options: cannot use restart policy with auto-remove (--rm)', {
      details: { reason: 'InvalidRestartPolicy' },
    });
  }
}

/** What a restart decision looks at. */
export interface ExitFacts {
  exitCode: number;
  /** Stopped by `stop` (or killed with SIGKILL / the stop signal) rather than exiting on its own. */
  manuallyStopped: boolean;
  /** Restarts the policy has made so far (inspect's `RestartCount`). */
  restartCount: number;
  /** Deciding at daemon start about a container that is not running (then a manual stop does not hold `always` back). */
  daemonStart?: boolean;
}

/** Docker's rules: should a container that ended like `facts` be started again? */
export function shouldRestart(policy: RestartPolicy | undefined, facts: ExitFacts): boolean {
  switch (policy?.name ?? 'no') {
    case 'always':
      return facts.daemonStart === true || !facts.manuallyStopped;
    case 'unless-stopped':
      return !facts.manuallyStopped;
    case 'on-failure': {
      if (facts.manuallyStopped || facts.exitCode === 0) return false;
      const max = policy?.maximumRetryCount ?? 0;
      return max === 0 || facts.restartCount < max;
    }
    default:
      return false;
  }
}

/**
 * The next delay of one container's back-off, given the previous delay and
 * how long the run that just ended lasted.
 */
export function nextRestartDelay(previousMs: number, ranForMs: number): number {
  if (ranForMs >= RESTART_BACKOFF.resetAfterRunningMs || previousMs <= 0) return RESTART_BACKOFF.initialMs;
  return Math.min(previousMs * RESTART_BACKOFF.multiplier, RESTART_BACKOFF.maxMs);
}

/**
 * Pending restarts: one timer per container, and the last delay of each
 * container's back-off. In memory only: after a daemon restart the back-off
 * starts again at 100 ms (as Docker's does).
 */
export class RestartScheduler {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly delays = new Map<string, number>();

  /** Schedules `run` after the container's next back-off delay; returns that delay. */
  schedule(id: string, ranForMs: number, run: () => void): number {
    this.cancel(id);
    const delay = nextRestartDelay(this.delays.get(id) ?? 0, ranForMs);
    this.delays.set(id, delay);
    const timer = setTimeout(() => {
      this.timers.delete(id);
      run();
    }, delay);
    this.timers.set(id, timer);
    return delay;
  }

  /** True while a restart of `id` is waiting for its delay. */
  pending(id: string): boolean {
    return this.timers.has(id);
  }

  /** Drops a pending restart; true when there was one. */
  cancel(id: string): boolean {
    const timer = this.timers.get(id);
    if (timer) clearTimeout(timer);
    return this.timers.delete(id);
  }

  /** Forgets the container's back-off (a manual start, or removal). */
  reset(id: string): void {
    this.cancel(id);
    this.delays.delete(id);
  }

  /** Drops every pending restart. */
  close(): void {
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }
}
