import { describe, expect, it, vi } from 'vitest';
import type { HealthState } from '@tscr/api';
import { HealthMonitor, applyProbe, mergeHealthcheck, probeArgv, validateHealthcheck } from '../../src/local/health.js';
import {
  RESTART_BACKOFF,
  RestartScheduler,
  nextRestartDelay,
  shouldRestart,
  validateRestartPolicy,
} from '../../src/local/restart.js';

const facts = (over: Partial<Parameters<typeof shouldRestart>[1]> = {}) => ({
  exitCode: 1,
  manuallyStopped: false,
  restartCount: 0,
  ...over,
});

describe('restart policies', () => {
  it('decides as Docker does', () => {
    expect(shouldRestart(undefined, facts())).toBe(false);
    expect(shouldRestart({ name: 'no' }, facts())).toBe(false);
    expect(shouldRestart({ name: 'always' }, facts({ exitCode: 0 }))).toBe(true);
    expect(shouldRestart({ name: 'always' }, facts({ manuallyStopped: true }))).toBe(false);
    expect(shouldRestart({ name: 'always' }, facts({ manuallyStopped: true, daemonStart: true }))).toBe(true);
    expect(shouldRestart({ name: 'unless-stopped' }, facts({ exitCode: 0 }))).toBe(true);
    expect(shouldRestart({ name: 'unless-stopped' }, facts({ manuallyStopped: true, daemonStart: true }))).toBe(false);
    expect(shouldRestart({ name: 'on-failure' }, facts({ exitCode: 0 }))).toBe(false);
    expect(shouldRestart({ name: 'on-failure' }, facts({ restartCount: 100 }))).toBe(true);
    expect(shouldRestart({ name: 'on-failure', maximumRetryCount: 2 }, facts({ restartCount: 1 }))).toBe(true);
    expect(shouldRestart({ name: 'on-failure', maximumRetryCount: 2 }, facts({ restartCount: 2 }))).toBe(false);
  });

  it('backs off from 100 ms, doubling to one minute, and resets after 10 s of running', () => {
    let d = 0;
    const seen: number[] = [];
    for (let i = 0; i < 12; i++) {
      d = nextRestartDelay(d, 50);
      seen.push(d);
    }
    expect(seen.slice(0, 4)).toEqual([100, 200, 400, 800]);
    expect(seen.at(-1)).toBe(RESTART_BACKOFF.maxMs);
    expect(nextRestartDelay(RESTART_BACKOFF.maxMs, 10_000)).toBe(100);
  });

  it('rejects bad policies with InvalidArgument', () => {
    const bad =
      (p: unknown, rm = false) =>
      () =>
        validateRestartPolicy(p as never, rm);
    expect(bad({ name: 'sometimes' })).toThrow(expect.objectContaining({ code: 'InvalidArgument' }));
    expect(bad({ name: 'always', maximumRetryCount: 3 })).toThrow(expect.objectContaining({ code: 'InvalidArgument' }));
    expect(bad({ name: 'on-failure', maximumRetryCount: -1 })).toThrow(
      expect.objectContaining({ code: 'InvalidArgument' }),
    );
    expect(bad({ name: 'always' }, true)).toThrow(expect.objectContaining({ code: 'InvalidArgument' }));
    expect(bad({ name: 'on-failure', maximumRetryCount: 3 })).not.toThrow();
  });

  it('schedules, cancels and resets restarts', () => {
    vi.useFakeTimers();
    try {
      const s = new RestartScheduler();
      const run = vi.fn();
      expect(s.schedule('a', 0, run)).toBe(100);
      expect(s.pending('a')).toBe(true);
      vi.advanceTimersByTime(99);
      expect(run).not.toHaveBeenCalled();
      vi.advanceTimersByTime(1);
      expect(run).toHaveBeenCalledTimes(1);
      expect(s.schedule('a', 0, run)).toBe(200);
      expect(s.cancel('a')).toBe(true);
      vi.advanceTimersByTime(1000);
      expect(run).toHaveBeenCalledTimes(1);
      s.reset('a');
      expect(s.schedule('a', 0, run)).toBe(100);
      s.close();
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('healthchecks', () => {
  it('merges the container healthcheck over the image one', () => {
    expect(mergeHealthcheck(undefined, undefined)).toBeUndefined();
    expect(mergeHealthcheck({ intervalMs: 500 }, { test: ['CMD', 'true'], retries: 2 })).toEqual({
      test: ['CMD', 'true'],
      intervalMs: 500,
      retries: 2,
    });
    expect(mergeHealthcheck({ test: ['NONE'] }, { test: ['CMD', 'true'] })?.test).toEqual(['NONE']);
  });

  it('turns tests into argv', () => {
    expect(probeArgv(['CMD-SHELL', 'exit 1'])).toEqual(['/bin/sh', '-c', 'exit 1']);
    expect(probeArgv(['CMD', 'true', 'x'])).toEqual(['true', 'x']);
    expect(probeArgv(['NONE'])).toBeUndefined();
    expect(() => validateHealthcheck({ test: ['SHELL', 'x'] })).toThrow(
      expect.objectContaining({ code: 'InvalidArgument' }),
    );
    expect(() => validateHealthcheck({ test: ['CMD-SHELL', 'x'], retries: -1 })).toThrow(
      expect.objectContaining({ code: 'InvalidArgument' }),
    );
  });

  it('counts failures, ignores them in the start period, and keeps five results', () => {
    const entry = (exitCode: number) => ({ start: 's', end: 'e', exitCode, output: `${exitCode}` });
    let h: HealthState = { status: 'starting', failingStreak: 0, log: [] };
    h = applyProbe(h, entry(1), 2, true);
    expect(h).toMatchObject({ status: 'starting', failingStreak: 0 });
    h = applyProbe(h, entry(1), 2, false);
    expect(h).toMatchObject({ status: 'starting', failingStreak: 1 });
    h = applyProbe(h, entry(1), 2, false);
    expect(h).toMatchObject({ status: 'unhealthy', failingStreak: 2 });
    h = applyProbe(h, entry(0), 2, false);
    expect(h).toMatchObject({ status: 'healthy', failingStreak: 0 });
    for (let i = 0; i < 6; i++) h = applyProbe(h, entry(0), 2, false);
    expect(h.log).toHaveLength(5);
  });

  it('probes on the interval and reports status changes', async () => {
    let state: HealthState | undefined = { status: 'starting', failingStreak: 0, log: [] };
    const changes: string[] = [];
    let code = 0;
    const monitor = new HealthMonitor({
      exec: async (_id, argv) => ({ exitCode: code, output: argv.join(' ') }),
      record: (_id, update) => (state = state && update(state)),
      onStatus: (_id, status) => changes.push(status),
      log: () => undefined,
    });
    monitor.start('c', { test: ['CMD', 'probe'], intervalMs: 5, retries: 1 }, Date.now());
    await vi.waitFor(() => expect(changes).toEqual(['healthy']));
    code = 3;
    await vi.waitFor(() => expect(changes).toEqual(['healthy', 'unhealthy']));
    expect(state?.log.at(-1)).toMatchObject({ exitCode: 3, output: 'probe' });
    monitor.close();
  });
});
