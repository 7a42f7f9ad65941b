import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import type { TaskRuntime } from '@tscr/runtime';
import type { RuntimeFixture } from './fixture.js';

/** `seq 1 2000`'s output: ~8.9 KB, more than one read of the monitor. */
const SEQ = Array.from({ length: 2000 }, (_, i) => `${i + 1}\n`).join('');

/**
 * The `startEarly` option of {@link TaskRuntime.create}, inside a conformance
 * `describe` (`get` answers once its beforeAll ran): the process runs before
 * `start` is called, `start` then completes it without an error even for a
 * process that has exited, and no output is lost.
 */
export function describeStartEarly(get: () => { rt: TaskRuntime; fx: RuntimeFixture }): void {
  it('startEarly: a short command runs before start is called; start answers stopped; the log is complete', async () => {
    const { rt, fx } = get();
    const spec = fx.spec(['seq', '1', '2000']);
    await rt.create(spec, { startEarly: true });
    // Without the early release the process would wait for start, and this wait would time out.
    const exit = await rt.wait(spec.id, { signal: AbortSignal.timeout(10_000) });
    expect(exit.exitCode).toBe(0);
    const started = await rt.start(spec.id);
    expect(started.status).toBe('stopped');
    expect(started.exitStatus?.exitCode).toBe(0);
    expect(fx.output(spec.id)).toBe(SEQ);
    expect((await rt.delete(spec.id))?.exitCode).toBe(0);
    expect(existsSync(join(fx.stateDir, 'tasks', spec.id))).toBe(false);
    expect(existsSync(join(fx.stateDir, 'runc-root', spec.id))).toBe(false);
  });

  it('startEarly with a terminal: what the process wrote before the monitor read the terminal is all there', async () => {
    const { rt, fx } = get();
    const args = ['seq', '1', '2000'];
    const spec = fx.spec(args, { process: { args, env: [], cwd: '/', terminal: true } });
    await rt.create(spec, { startEarly: true });
    expect((await rt.wait(spec.id, { signal: AbortSignal.timeout(10_000) })).exitCode).toBe(0);
    await rt.start(spec.id);
    expect(fx.output(spec.id).replaceAll('\r\n', '\n')).toBe(SEQ);
    await rt.delete(spec.id);
  });

  it('startEarly: a long-running task is running once created; start returns it running with its pid', async () => {
    const { rt, fx } = get();
    const spec = fx.spec(['sleep', '100']);
    const created = await rt.create(spec, { startEarly: true });
    const until = Date.now() + 10_000;
    while ((await rt.state(spec.id)).status !== 'running' && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 20));
    }
    expect((await rt.state(spec.id)).status).toBe('running');
    const started = await rt.start(spec.id);
    expect(started).toMatchObject({ status: 'running', pid: created.pid });
    await rt.kill(spec.id, 'SIGKILL');
    expect((await rt.wait(spec.id)).exitCode).toBe(137);
    await rt.delete(spec.id);
  });

  it('without startEarly the process waits for start', async () => {
    const { rt, fx } = get();
    const spec = fx.spec(['echo', 'late']);
    await rt.create(spec);
    await new Promise((r) => setTimeout(r, 300));
    expect((await rt.state(spec.id)).status).toBe('created');
    await rt.start(spec.id);
    expect((await rt.wait(spec.id)).exitCode).toBe(0);
    expect(fx.output(spec.id)).toBe('late\n');
    await rt.delete(spec.id);
  });

  it('startEarly: a failed create and a delete before the start leave nothing behind', async () => {
    const { rt, fx } = get();
    const missing = fx.spec(['nosuchcmd']);
    await expect(rt.create(missing, { startEarly: true })).rejects.toMatchObject({ code: 'NotFound' });
    expect(existsSync(join(fx.stateDir, 'tasks', missing.id))).toBe(false);
    const spec = fx.spec(['sleep', '100']);
    await rt.create(spec, { startEarly: true });
    expect((await rt.delete(spec.id, { force: true }))?.exitCode).toBe(137);
    expect(existsSync(join(fx.stateDir, 'tasks', spec.id))).toBe(false);
    await expect(rt.start(spec.id)).rejects.toMatchObject({ code: 'NotFound' });
  });
}
