import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorCode, isTscrError } from '@tscr/api';
import type { TaskRuntime } from '@tscr/runtime';
import { createLocalTaskRuntime } from '@tscr/runtime/local';
import { makeRuntimeFixture, type RuntimeFixture } from './fixture.js';
import { describeStartEarly } from './start-early.js';

/** What a conformance run needs: the runtime under test, built over `fx`. */
export interface RuntimeUnderTest {
  runtime: TaskRuntime;
  close(): Promise<void>;
}

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'ok';
  } catch (err) {
    return errorCode(err);
  }
}

/**
 * The TaskRuntime conformance suite. `setup` builds the implementation over
 * a LocalTaskRuntime configured with the fixture's stateDir and cgroup parent.
 */
export function describeTaskRuntime(name: string, setup: (fx: RuntimeFixture) => Promise<RuntimeUnderTest>): void {
  describe(`TaskRuntime conformance: ${name}`, () => {
    let fx: RuntimeFixture;
    let sut: RuntimeUnderTest;
    let rt: TaskRuntime;

    beforeAll(async () => {
      fx = await makeRuntimeFixture('runtime');
      sut = await setup(fx);
      rt = sut.runtime;
    });

    afterAll(async () => {
      if (rt) {
        for (const t of await rt.list().catch(() => [])) await rt.delete(t.id, { force: true }).catch(() => undefined);
      }
      await sut?.close();
      await fx?.cleanup();
    });

    /** create → start → wait → delete; returns the exit code. */
    async function run(args: string[], extra = {}): Promise<{ id: string; code: number }> {
      const spec = fx.spec(args, extra);
      const created = await rt.create(spec);
      expect(created.status).toBe('created');
      expect(created.pid).toBeGreaterThan(0);
      await rt.start(spec.id);
      const exit = await rt.wait(spec.id);
      expect(Date.parse(exit.exitedAt)).toBeGreaterThan(Date.now() - 60_000);
      const deleted = await rt.delete(spec.id);
      expect(deleted?.exitCode).toBe(exit.exitCode);
      return { id: spec.id, code: exit.exitCode };
    }

    it('runs echo hello: output in the log, exit 0, nothing left behind', async () => {
      const { id, code } = await run(['echo', 'hello']);
      expect(code).toBe(0);
      expect(fx.output(id)).toBe('hello\n');
      expect(existsSync(join(fx.stateDir, 'tasks', id))).toBe(false);
      expect(existsSync(join(fx.stateDir, 'exits', id))).toBe(false);
      expect(existsSync(join(fx.stateDir, 'runc-root', id))).toBe(false);
    });

    it('reports the exit code of sh -c "exit 3"', async () => {
      expect((await run(['sh', '-c', 'exit 3'])).code).toBe(3);
    });

    it('keeps stdout and stderr apart in the log', async () => {
      const spec = fx.spec(['sh', '-c', 'echo out; echo err >&2; printf partial']);
      await rt.create(spec);
      await rt.start(spec.id);
      await rt.wait(spec.id);
      await rt.delete(spec.id);
      const lines = readFileSync(spec.logPath, 'utf8').trim().split('\n');
      // The two streams are separate pipes: only the order within one is kept.
      const tagged = lines.map((l) => l.split(' ').slice(1).join(' '));
      expect(tagged.filter((l) => l.startsWith('stdout'))).toEqual(['stdout F out', 'stdout P partial']);
      expect(tagged.filter((l) => l.startsWith('stderr'))).toEqual(['stderr F err']);
    });

    it('fails with NotFound/ExecutableNotFound for a missing command and leaves nothing behind', async () => {
      const spec = fx.spec(['tscr-no-such-command']);
      const err = await rt.create(spec).catch((e: unknown) => e);
      expect(isTscrError(err)).toBe(true);
      expect(errorCode(err)).toBe('NotFound');
      expect((err as { details: Record<string, string> }).details.reason).toBe('ExecutableNotFound');
      expect((err as Error).message).toBe('exec: "tscr-no-such-command": executable file not found in $PATH');
      expect(existsSync(join(fx.stateDir, 'tasks', spec.id))).toBe(false);
      expect(existsSync(join(fx.stateDir, 'runc-root', spec.id))).toBe(false);
      expect(readFileSync('/proc/self/mountinfo', 'utf8')).not.toContain(spec.id);
      expect(await codeOf(rt.state(spec.id))).toBe('NotFound');
    });

    it('fails with PermissionDenied/ExecutableNotExecutable for a file that is not executable', async () => {
      const spec = fx.spec(['/etc/passwd']);
      const err = await rt.create(spec).catch((e: unknown) => e);
      expect(errorCode(err)).toBe('PermissionDenied');
      expect((err as { details: Record<string, string> }).details.reason).toBe('ExecutableNotExecutable');
      expect(existsSync(join(fx.stateDir, 'tasks', spec.id))).toBe(false);
    });

    it('raises NotFound for unknown ids everywhere', async () => {
      const id = 'tscr-test-missing';
      const calls = [
        () => rt.start(id),
        () => rt.kill(id, 'TERM'),
        () => rt.wait(id),
        () => rt.state(id),
        () => rt.delete(id),
        () => rt.delete(id, { force: true }),
      ];
      for (const call of calls) expect(await codeOf(call())).toBe('NotFound');
    });

    it('rejects a second task with the same id (AlreadyExists)', async () => {
      const spec = fx.spec(['true']);
      await rt.create(spec);
      try {
        expect(await codeOf(rt.create(spec))).toBe('AlreadyExists');
      } finally {
        await rt.delete(spec.id, { force: true });
      }
    });

    it('kills a task: a TERM handler exits 143, SIGKILL gives 137; bad signals are InvalidArgument', async () => {
      const spec = fx.spec(['sh', '-c', 'trap "exit 143" TERM; echo ready; sleep 100 & wait']);
      await rt.create(spec);
      const started = await rt.start(spec.id);
      expect(started.status).toBe('running');
      expect((await rt.state(spec.id)).status).toBe('running');
      expect(await codeOf(rt.kill(spec.id, 'SIGNOPE'))).toBe('InvalidArgument');
      await rt.kill(spec.id, 'SIGTERM');
      expect((await rt.wait(spec.id)).exitCode).toBe(143);
      const st = await rt.state(spec.id);
      expect(st.status).toBe('stopped');
      expect(st.exitStatus?.exitCode).toBe(143);
      expect(await codeOf(rt.kill(spec.id, 'TERM'))).toBe('FailedPrecondition');
      expect(await codeOf(rt.start(spec.id))).toBe('FailedPrecondition');
      await rt.delete(spec.id);

      const spec2 = fx.spec(['sleep', '100']);
      await rt.create(spec2);
      await rt.start(spec2.id);
      await rt.kill(spec2.id, '9');
      expect((await rt.wait(spec2.id)).exitCode).toBe(137);
      await rt.delete(spec2.id);
    });

    it('refuses to delete a running task without force, kills it with force', async () => {
      const spec = fx.spec(['sleep', '100']);
      await rt.create(spec);
      await rt.start(spec.id);
      expect(await codeOf(rt.delete(spec.id))).toBe('FailedPrecondition');
      const waited = rt.wait(spec.id);
      const exit = await rt.delete(spec.id, { force: true });
      expect(exit?.exitCode).toBe(137);
      expect((await waited).exitCode).toBe(137);
      expect(existsSync(join(fx.stateDir, 'tasks', spec.id))).toBe(false);
    });

    it('lists tasks with their states and deletes a created task that never ran', async () => {
      const spec = fx.spec(['true']);
      await rt.create(spec);
      const listed = await rt.list();
      expect(listed.find((t) => t.id === spec.id)?.status).toBe('created');
      await rt.delete(spec.id);
      expect((await rt.list()).find((t) => t.id === spec.id)).toBeUndefined();
    });

    it('sets the hostname, isolates pids, defaults PATH and HOME', async () => {
      const { id } = await run(['sh', '-c', 'hostname; cat /etc/hostname; echo $$; echo $PATH; echo $HOME']);
      expect(fx.output(id)).toBe(
        'tscr-test-host\ntscr-test-host\n1\n/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n/root\n',
      );
    });

    it('resolves users in the image: -u tscr is uid 1000', async () => {
      const { id } = await run(['sh', '-c', 'id -u; id -g; echo $HOME'], {
        process: { args: ['sh', '-c', 'id -u; id -g; echo $HOME'], env: [], cwd: '/', user: 'tscr' },
      });
      expect(fx.output(id)).toBe('1000\n1000\n/home/tscr\n');
      const err = await rt
        .create(fx.spec(['true'], { process: { args: ['true'], env: [], cwd: '/', user: 'nobody-here' } }))
        .catch((e: unknown) => e);
      expect(errorCode(err)).toBe('InvalidArgument');
    });

    it('puts the task in a new, empty network namespace by default', async () => {
      const { id } = await run(['sh', '-c', 'ls /sys/class/net | sort | tr "\\n" " "']);
      expect(fx.output(id)).toBe('lo ');
    });

    it('makes the rootfs read-only on request', async () => {
      const { id, code } = await run(['sh', '-c', 'touch /x 2>/dev/null || echo ro'], { readonlyRootfs: true });
      expect(code).toBe(0);
      expect(fx.output(id)).toBe('ro\n');
    });

    it('lets a new runtime instance over the same stateDir kill, wait for and delete a running task', async () => {
      const spec = fx.spec(['sleep', '100']);
      await rt.create(spec);
      await rt.start(spec.id);
      const other = createLocalTaskRuntime({ stateDir: fx.stateDir, cgroupParent: fx.cgroupParent });
      const seen = await other.state(spec.id);
      expect(seen.status).toBe('running');
      expect((await other.list()).map((t) => t.id)).toContain(spec.id);
      const waited = other.wait(spec.id);
      await other.kill(spec.id, 'KILL');
      expect((await waited).exitCode).toBe(137);
      expect((await other.delete(spec.id))?.exitCode).toBe(137);
      expect(await codeOf(rt.state(spec.id))).toBe('NotFound');
      expect(readdirSync(join(fx.stateDir, 'tasks'))).not.toContain(spec.id);
      await other.settled();
    });

    it('mounts an overlay rootfs, keeps writes in the upper dir and unmounts it', async () => {
      const upper = join(fx.dir, 'ovl-upper');
      const work = join(fx.dir, 'ovl-work');
      await Promise.all([mkdir(upper), mkdir(work)]);
      const rootfs = [
        {
          type: 'overlay',
          source: 'overlay',
          options: [`lowerdir=${fx.rootfsDir}`, `upperdir=${upper}`, `workdir=${work}`],
        },
      ];
      const { id, code } = await run(['sh', '-c', 'echo hi > /created && cat /created'], { rootfs });
      expect(code).toBe(0);
      expect(fx.output(id)).toBe('hi\n');
      expect(readFileSync(join(upper, 'created'), 'utf8')).toBe('hi\n');
      expect(existsSync(join(fx.rootfsDir, 'created'))).toBe(false);
      expect(readFileSync('/proc/self/mountinfo', 'utf8')).not.toContain(id);
    });

    it('bind-mounts extra mounts, read-only when asked', async () => {
      const data = join(fx.dir, 'volume');
      await mkdir(data, { recursive: true });
      await writeFile(join(data, 'in'), 'from host\n');
      const mounts = [{ destination: '/data', type: 'bind', source: data, options: ['rbind', 'ro'] }];
      const { id } = await run(['sh', '-c', 'cat /data/in; touch /data/x 2>/dev/null || echo ro'], { mounts });
      expect(fx.output(id)).toBe('from host\nro\n');
    });

    it('shares the host network and resolv.conf in host mode', async () => {
      const { id } = await run(['sh', '-c', 'cat /etc/resolv.conf; ls /sys/class/net | wc -l'], {
        network: { mode: 'host' },
      });
      const lines = fx.output(id).trim().split('\n');
      expect(lines.slice(0, -1).join('\n')).toBe(readFileSync('/etc/resolv.conf', 'utf8').trim());
      expect(Number(lines.at(-1))).toBe(readdirSync('/sys/class/net').length);
    });

    it('gives the task a terminal when asked', async () => {
      const { id, code } = await run(['sh', '-c', 'tty'], {
        process: { args: ['sh', '-c', 'tty'], env: [], cwd: '/', terminal: true },
      });
      expect(code).toBe(0);
      expect(fx.output(id).trim()).toMatch(/^\/dev\/pts\/\d+$/);
    });

    it('answers wait at once, as often as asked, for a task that has exited', async () => {
      const spec = fx.spec(['sh', '-c', 'exit 7']);
      await rt.create(spec);
      await rt.start(spec.id);
      const first = await rt.wait(spec.id);
      const [a, b] = await Promise.all([rt.wait(spec.id), rt.wait(spec.id)]);
      expect([first.exitCode, a.exitCode, b.exitCode]).toEqual([7, 7, 7]);
      expect(a.exitedAt).toBe(first.exitedAt);
      await rt.delete(spec.id);
    });

    describeStartEarly(() => ({ rt, fx }));

    it('honours an abort signal on wait', async () => {
      const spec = fx.spec(['sleep', '100']);
      await rt.create(spec);
      await rt.start(spec.id);
      const ac = new AbortController();
      const waited = codeOf(rt.wait(spec.id, { signal: ac.signal }));
      setTimeout(() => ac.abort(), 50);
      expect(await waited).toBe('Cancelled');
      await rt.delete(spec.id, { force: true });
    });
  });
}
