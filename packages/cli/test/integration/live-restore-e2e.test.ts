/**
 * Live restore, end to end: kill -9 of tscrd in the middle of 20 concurrent
 * `tscr run -d`, then a restart. Every container that was running still
 * runs under its monitor, logs continue without gaps, the exit of a
 * container that ended while the daemon was down is recorded, restart
 * policies resume, and nothing half-made is left (mounts, cgroups, monitors,
 * bundles, snapshots, container directories, state rows). Root only.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { busyboxRootfsTar, uniqueName } from '@tscr/testkit';
import { E2eDaemon, type Result, e2eSkipReason, mountsUnder, runCliAsync, waitFor } from '../fixtures/e2e.js';
import { cgroupsUnder, entries as entriesOf, monitorsUnder } from '../fixtures/host-state.js';

const ID = /^[0-9a-f]{64}$/;

const entries = (dir: string) => entriesOf(dir, ID);

describe.skipIf(e2eSkipReason())('live restore: kill -9 of tscrd during 20 concurrent runs', () => {
  let d: E2eDaemon;
  const image = `${uniqueName('img')}:test`;
  const tscr = (args: string[]) => d.tscr(args);
  const inspect = (ref: string) => JSON.parse(tscr(['inspect', ref]).stdout)[0];

  beforeAll(async () => {
    d = await E2eDaemon.create('live-restore');
    await d.start();
    const tar = await busyboxRootfsTar(d.dir, join(d.dir, 'busybox.tar'));
    expect(tscr(['image', 'import', tar, image]).code).toBe(0);
  }, 60_000);

  afterAll(() => d.cleanup(), 120_000);

  it('keeps every running container, records exits, resumes policies and leaves nothing half-made', async () => {
    const counter = uniqueName('counter');
    const ender = uniqueName('ender');
    const always = uniqueName('always');
    // Prints 0, 1, 2, … every 50 ms: a gap in its log would show as a missing number.
    expect(
      tscr([
        'run',
        '-d',
        '--name',
        counter,
        image,
        'sh',
        '-c',
        'i=0; while true; do echo $i; i=$((i+1)); sleep 0.05; done',
      ]).code,
    ).toBe(0);
    expect(tscr(['run', '-d', '--name', ender, image, 'sh', '-c', 'sleep 3; exit 7']).code).toBe(0);
    expect(
      tscr(['run', '-d', '--name', always, '--restart', 'always', image, 'sh', '-c', 'sleep 3; exit 1']).code,
    ).toBe(0);
    const counterPid = inspect(counter).State.Pid as number;
    expect(counterPid).toBeGreaterThan(0);

    // 20 concurrent runs; the daemon dies once a few have gone through.
    const results: (Result | undefined)[] = new Array(20).fill(undefined);
    const runs = results.map((_, i) =>
      runCliAsync(['run', '-d', '--name', `${uniqueName('burst')}-${i}`, image, 'sleep', '3600'], d.env()).then((r) => {
        results[i] = r;
        return r;
      }),
    );
    await waitFor('a few concurrent runs', () => results.filter((r) => r?.code === 0).length >= 3);
    const inFlight = results.filter((r) => r === undefined).length;
    const daemonPid = d.process!.pid!;
    process.kill(daemonPid, 'SIGKILL');
    await d.stop('SIGKILL');
    expect(inFlight).toBeGreaterThan(0);
    await Promise.all(runs);
    const started = new Set(results.filter((r) => r?.code === 0).map((r) => r!.stdout.trim()));
    // Long enough for `ender` and `always` to exit while the daemon is down.
    await new Promise((r) => setTimeout(r, 3500));

    await d.start();

    // The counter still runs under the same process, and its log has no gap.
    const c = inspect(counter);
    expect(c.State).toMatchObject({ Status: 'running', Running: true, Pid: counterPid });
    await new Promise((r) => setTimeout(r, 300));
    const numbers = tscr(['logs', counter]).stdout.trim().split('\n').map(Number);
    expect(numbers.length).toBeGreaterThan(50);
    expect(numbers).toEqual(numbers.map((_, i) => i));

    // The exit that happened while the daemon was down is recorded.
    expect(inspect(ender).State).toMatchObject({ Status: 'exited', Running: false, ExitCode: 7 });

    // The restart policy resumed.
    await waitFor('the always container to run again', () => {
      const s = inspect(always);
      return s.State.Running === true && s.RestartCount >= 1;
    });

    // Every run that reported success runs; the others are fully made (listed) or gone.
    const all = tscr(['ps', '-a', '--no-trunc', '--format', '{{.ID}} {{.State}}'])
      .stdout.trim()
      .split('\n')
      .map((l) => l.split(' ') as [string, string]);
    const states = new Map(all);
    for (const id of started) expect(states.get(id)).toBe('running');
    // `always` exits every 3 s by design: listed between two runs it is restarting.
    for (const [, state] of all) expect(['running', 'created', 'exited', 'restarting']).toContain(state);
    const running = new Set(all.filter(([, s]) => s === 'running').map(([id]) => id));
    const listed = new Set(all.map(([id]) => id));

    // Nothing half-made: every monitor, cgroup, bundle, mount belongs to a running container;
    // every snapshot and container directory to a listed one.
    const root = join(d.dir, 'root');
    const runtimeDir = join(d.dir, 'exec', 'runtime');
    await waitFor('monitors of running containers only', () => monitorsUnder(d.dir).every((id) => running.has(id)));
    expect(monitorsUnder(d.dir).sort()).toEqual([...running].sort());
    const what = (id: string) => `${id} (${states.get(id) ?? 'not listed'})`;
    for (const id of cgroupsUnder(d.cgroupParent)) expect(running.has(id), `cgroup of ${what(id)}`).toBe(true);
    for (const id of entries(join(runtimeDir, 'tasks'))) expect(running.has(id), `bundle of ${what(id)}`).toBe(true);
    const owner = (m: string) => [...listed].find((id) => m.includes(id.slice(0, 32)));
    for (const m of mountsUnder(d.dir)) {
      const id = owner(m);
      expect(id !== undefined && running.has(id), `${m}: ${id ? what(id) : 'no container'}`).toBe(true);
    }
    for (const id of entries(join(root, 'image', 'snapshots'))) expect(listed.has(id), `snapshot ${id}`).toBe(true);
    for (const id of entries(join(root, 'containers'))) expect(listed.has(id), `directory ${id}`).toBe(true);
    expect(entries(join(root, 'containers')).length).toBe(listed.size);

    // The ones whose start was cut off start now.
    for (const [id, state] of all) if (state === 'created') expect(tscr(['start', id]).code).toBe(0);
  }, 180_000);
});
