/**
 * End to end: restart policies, `--rm`, healthchecks, log rotation and
 * reading, and the event history, through the built CLI and a real tscrd.
 * Root only; everything under /tmp/tscr-test-supervise-… and cgroup tscr-test-….
 */
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { busyboxRootfsTar, uniqueName } from '@tscr/testkit';
import { E2eDaemon, e2eSkipReason } from '../fixtures/e2e.js';

/** Polls `ok` every 100 ms for up to `ms`. */
async function until(what: string, ok: () => boolean, ms = 20_000): Promise<void> {
  for (const end = Date.now() + ms; Date.now() < end; ) {
    if (ok()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe.skipIf(e2eSkipReason())('restart policies, health, logs and events end to end', () => {
  let d: E2eDaemon;
  const image = `${uniqueName('img')}:test`;
  const tscr = (args: string[]) => d.tscr(args);
  const inspect = (ref: string) => JSON.parse(tscr(['inspect', ref]).stdout)[0];
  const run = (...args: string[]) => {
    const r = tscr(['run', '-d', '--network', 'none', ...args]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    return r.stdout.trim();
  };

  beforeAll(async () => {
    d = await E2eDaemon.create('supervise');
    await d.start();
    const tar = await busyboxRootfsTar(d.dir, join(d.dir, 'busybox.tar'));
    expect(tscr(['image', 'import', tar, image]).code).toBe(0);
  }, 60_000);

  afterAll(() => d.cleanup(), 120_000);

  it('restarts on failure up to the limit, counting restarts, with start/die events', async () => {
    const name = uniqueName('onfail');
    run('--name', name, '--restart', 'on-failure:2', image, 'sh', '-c', 'exit 3');
    await until('two restarts and a final exit', () => {
      const c = inspect(name);
      return c.RestartCount === 2 && c.State.Status === 'exited';
    });
    const c = inspect(name);
    expect(c.State.ExitCode).toBe(3);
    expect(c.HostConfig.RestartPolicy).toEqual({ Name: 'on-failure', MaximumRetryCount: 2 });
    const events = tscr([
      'events',
      '--since',
      '5m',
      '--until',
      '0s',
      '--filter',
      `container=${name}`,
      '--format',
      '{{.Action}} {{.Actor.Attributes.exitCode}}',
    ]);
    expect(events.code).toBe(0);
    const lines = events.stdout.trim().split('\n');
    expect(lines.filter((l) => l.startsWith('start'))).toHaveLength(3);
    expect(lines.filter((l) => l === 'die 3')).toHaveLength(3);
  });

  it('does not restart an always container after stop, and restarts it after a crash', async () => {
    const name = uniqueName('always');
    run('--name', name, '--restart', 'always', image, 'sleep', '1000');
    const pid = inspect(name).State.Pid as number;
    process.kill(pid, 'SIGKILL');
    await until('a restart', () => {
      const c = inspect(name);
      return c.State.Running && c.State.Pid !== pid && c.RestartCount === 1;
    });
    expect(tscr(['stop', '-t', '1', name]).code).toBe(0);
    await new Promise((r) => setTimeout(r, 500));
    expect(inspect(name).State).toMatchObject({ Status: 'exited', Running: false });
    expect(tscr(['start', name]).code).toBe(0);
    expect(inspect(name)).toMatchObject({ RestartCount: 0, State: { Running: true } });
    expect(tscr(['rm', '-f', name]).code).toBe(0);
  });

  it('rejects bad restart policies and --rm with a policy', () => {
    const bad = tscr(['run', '-d', '--restart', 'sometimes', image, 'true']);
    expect(bad.code).not.toBe(0);
    const conflict = tscr(['create', '--rm', '--restart', 'always', image, 'true']);
    expect(conflict.code).not.toBe(0);
    expect(conflict.stderr).toMatch(/restart policy/);
  });

  it('removes an --rm container and its anonymous volume when it exits', () => {
    const before = tscr(['volume', 'ls', '-q']).stdout;
    const containers = tscr(['ps', '-a', '-q']).stdout;
    const r = tscr(['run', '--rm', '--network', 'none', '-v', '/data', image, 'sh', '-c', 'echo hi > /data/f']);
    expect(r.code).toBe(0);
    expect(tscr(['ps', '-a', '-q']).stdout).toBe(containers);
    expect(tscr(['volume', 'ls', '-q']).stdout).toBe(before);
  });

  it('reports health in ps, inspect and events', async () => {
    const name = uniqueName('health');
    run(
      '--name',
      name,
      '--health-cmd',
      'cat /tmp/ok',
      '--health-interval',
      '200ms',
      '--health-retries',
      '2',
      '--health-start-period',
      '2s',
      image,
      'sh',
      '-c',
      'sleep 1; echo fine > /tmp/ok; sleep 3; rm /tmp/ok; sleep 1000',
    );
    expect(tscr(['ps']).stdout).toContain('(health: starting)');
    await until('healthy', () => inspect(name).State.Health?.Status === 'healthy');
    expect(tscr(['ps']).stdout).toMatch(/Up .* \(healthy\)/);
    const health = inspect(name).State.Health;
    expect(health.FailingStreak).toBe(0);
    expect(health.Log.at(-1)).toMatchObject({ ExitCode: 0, Output: 'fine\n' });
    await until('unhealthy', () => inspect(name).State.Health?.Status === 'unhealthy');
    expect(inspect(name).State.Health.FailingStreak).toBeGreaterThanOrEqual(2);
    expect(inspect(name).State.Health.Log.length).toBeLessThanOrEqual(5);
    const events = tscr([
      'events',
      '--since',
      '5m',
      '--until',
      '0s',
      '--filter',
      `container=${name}`,
      '--filter',
      'event=health_status',
    ]);
    expect(events.stdout).toContain('health_status: healthy');
    expect(events.stdout).toContain('health_status: unhealthy');
    expect(tscr(['rm', '-f', name]).code).toBe(0);
  });

  it('rotates logs by size into a bounded number of files and reads across them', async () => {
    const name = uniqueName('logs');
    // Six bursts of 100 lines (about 9 KiB each in the log), a bit over a second apart.
    const script =
      'j=0; while [ $j -lt 6 ]; do i=0; while [ $i -lt 100 ]; do echo "b$j-$i"; i=$((i+1)); done; j=$((j+1)); sleep 1.3; done; echo done >&2; sleep 1000';
    run('--name', name, '--log-opt', 'max-size=8k', '--log-opt', 'max-file=2', image, 'sh', '-c', script);
    await until('the last burst', () => tscr(['logs', name]).stderr.includes('done'), 30_000);
    await new Promise((r) => setTimeout(r, 1500));
    const logPath = inspect(name).LogPath as string;
    const files = readdirSync(dirname(logPath)).filter((f) => f.startsWith('container.log'));
    expect(files.sort()).toEqual(['container.log', 'container.log.1']);
    const lines = tscr(['logs', name]).stdout.trim().split('\n');
    expect(lines.length).toBeLessThan(600);
    expect(lines.at(-1)).toBe('b5-99');
    // A contiguous suffix of the output: nothing lost inside what is kept.
    const all = Array.from({ length: 600 }, (_, k) => `b${Math.floor(k / 100)}-${k % 100}`);
    expect(lines).toEqual(all.slice(600 - lines.length));
    // As Docker's, --tail counts the lines of both streams.
    expect(tscr(['logs', '--tail', '3', name])).toMatchObject({ stdout: 'b5-98\nb5-99\n', stderr: 'done\n' });
    expect(tscr(['logs', name]).stderr).toBe('done\n');
    expect(tscr(['rm', '-f', name]).code).toBe(0);
  }, 60_000);

  it('filters logs by time, and prints timestamps', async () => {
    const name = uniqueName('times');
    run('--name', name, image, 'sh', '-c', 'echo early; sleep 1.5; echo late; sleep 1000');
    await until('late output', () => tscr(['logs', name]).stdout.includes('late'));
    const stamped = tscr(['logs', '-t', name]).stdout.trim().split('\n');
    expect(stamped[0]).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+(Z|[+-]\d\d:\d\d) early$/);
    const lateAt = stamped[1]!.split(' ')[0]!;
    expect(tscr(['logs', '--until', lateAt, name]).stdout).toBe('early\n');
    expect(tscr(['logs', '--since', lateAt, name]).stdout).toBe('late\n');
    expect(tscr(['logs', '--since', '1h', name]).stdout).toBe('early\nlate\n');
    expect(tscr(['logs', '--until', '1h', name]).stdout).toBe('');
    expect(tscr(['rm', '-f', name]).code).toBe(0);
  });

  it('filters events by label and type, and rejects an unknown filter', () => {
    const name = uniqueName('labelled');
    run('--name', name, '--label', 'tier=front', image, 'true');
    const r = tscr([
      'events',
      '--since',
      '5m',
      '--until',
      '0s',
      '--filter',
      'label=tier=front',
      '--filter',
      'event=create',
    ]);
    expect(r.stdout.trim().split('\n')).toHaveLength(1);
    expect(r.stdout).toContain(`name=${name}`);
    expect(tscr(['events', '--since', '5m', '--until', '0s', '--filter', 'type=volume']).stdout).not.toContain(name);
    expect(tscr(['events', '--filter', 'colour=red']).code).not.toBe(0);
  });
});
