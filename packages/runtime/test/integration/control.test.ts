import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Server } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorCode } from '@tscr/api';
import { listen } from '@tscr/api/grpc';
import { skipUnlessRoot } from '@tscr/testkit';
import type { TaskRuntime, TaskSpec } from '@tscr/runtime';
import { createLocalTaskRuntime } from '@tscr/runtime/local';
import { addRuntimeService, GrpcTaskRuntime } from '@tscr/runtime/grpc';
import { makeRuntimeFixture, type RuntimeFixture } from '../conformance/fixture.js';

const MiB = 1024 * 1024;

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'ok';
  } catch (err) {
    return errorCode(err);
  }
}

/** The host directory of a v1 controller's cgroup of `pid`. */
function cgroupDir(pid: number, controller: string): string {
  const line = readFileSync(`/proc/${pid}/cgroup`, 'utf8')
    .split('\n')
    .find((l) => l.split(':')[1]?.split(',').includes(controller));
  if (!line) throw new Error(`no ${controller} cgroup for ${pid}`);
  const [, controllers, path] = line.split(':') as [string, string, string];
  return join('/sys/fs/cgroup', controllers, path);
}

function cgroupFile(pid: number, controller: string, file: string): string {
  return readFileSync(join(cgroupDir(pid, controller), file), 'utf8').trim();
}

/** Limits, pause, stats, top and security options of tasks, run against `setup`'s runtime. */
function describeControl(
  name: string,
  setup: (fx: RuntimeFixture) => Promise<{ rt: TaskRuntime; close(): Promise<void> }>,
) {
  describe(`task control: ${name}`, () => {
    let fx: RuntimeFixture;
    let rt: TaskRuntime;
    let close: () => Promise<void>;

    beforeAll(async () => {
      fx = await makeRuntimeFixture('control');
      ({ rt, close } = await setup(fx));
    });

    afterAll(async () => {
      for (const t of (await rt?.list().catch(() => [])) ?? [])
        await rt.delete(t.id, { force: true }).catch(() => undefined);
      await close?.();
      await fx?.cleanup();
    });

    async function runToEnd(spec: TaskSpec) {
      await rt.create(spec);
      await rt.start(spec.id);
      const exit = await rt.wait(spec.id);
      await rt.delete(spec.id);
      return { exit, output: fx.output(spec.id) };
    }

    async function startLong(extra: Partial<TaskSpec> = {}) {
      const spec = fx.spec(['sleep', '60'], extra);
      await rt.create(spec);
      const st = await rt.start(spec.id);
      return { id: spec.id, pid: st.pid };
    }

    it('puts the memory and pids limits into the task cgroup (v1 files)', async () => {
      const { id, pid } = await startLong({
        resources: { memory: 32 * MiB, memoryReservation: 16 * MiB, pidsLimit: 7, nanoCpus: 5e8, cpusetCpus: '0' },
      });
      expect(Number(cgroupFile(pid, 'memory', 'memory.limit_in_bytes'))).toBe(32 * MiB);
      expect(Number(cgroupFile(pid, 'memory', 'memory.soft_limit_in_bytes'))).toBe(16 * MiB);
      expect(Number(cgroupFile(pid, 'memory', 'memory.memsw.limit_in_bytes'))).toBe(64 * MiB);
      expect(cgroupFile(pid, 'pids', 'pids.max')).toBe('7');
      expect(cgroupFile(pid, 'cpu', 'cpu.cfs_quota_us')).toBe('50000');
      expect(cgroupFile(pid, 'cpu', 'cpu.cfs_period_us')).toBe('100000');
      expect(cgroupFile(pid, 'cpuset', 'cpuset.cpus')).toBe('0');
      await rt.delete(id, { force: true });
    });

    it('OOM-kills a task over its memory limit: exit 137, oomKilled', async () => {
      const spec = fx.spec(['sh', '-c', 'x=a; while true; do x=$x$x; done'], {
        resources: { memory: 16 * MiB, memorySwap: 16 * MiB },
      });
      const { exit } = await runToEnd(spec);
      expect(exit.exitCode).toBe(137);
      expect(exit.oomKilled).toBe(true);
    });

    it('enforces the pids limit', async () => {
      const spec = fx.spec(['sh', '-c', 'for i in 1 2 3 4 5 6 7 8 9 10; do sleep 1 & done; wait'], {
        resources: { pidsLimit: 4 },
      });
      const { output } = await runToEnd(spec);
      expect(output).toMatch(/can't fork|Resource temporarily unavailable/);
    });

    it('update changes the limits of a running task', async () => {
      const { id, pid } = await startLong({ resources: { memory: 32 * MiB, pidsLimit: 10 } });
      await rt.update(id, { memory: 64 * MiB, pidsLimit: 20, cpuShares: 512, nanoCpus: 1e9 });
      expect(Number(cgroupFile(pid, 'memory', 'memory.limit_in_bytes'))).toBe(64 * MiB);
      expect(cgroupFile(pid, 'pids', 'pids.max')).toBe('20');
      expect(cgroupFile(pid, 'cpu', 'cpu.shares')).toBe('512');
      expect(cgroupFile(pid, 'cpu', 'cpu.cfs_quota_us')).toBe('100000');
      expect(await codeOf(rt.update(id, { memory: MiB }))).toBe('InvalidArgument');
      await rt.delete(id, { force: true });
      expect(await codeOf(rt.update(id, { memory: 64 * MiB }))).toBe('NotFound');
    });

    it('pauses and resumes a task (freezer), refusing a double pause', async () => {
      const { id, pid } = await startLong();
      await rt.pause(id);
      expect(cgroupFile(pid, 'freezer', 'freezer.state')).toBe('FROZEN');
      expect(await codeOf(rt.pause(id))).toBe('FailedPrecondition');
      await rt.resume(id);
      expect(cgroupFile(pid, 'freezer', 'freezer.state')).toBe('THAWED');
      expect(await codeOf(rt.resume(id))).toBe('FailedPrecondition');
      await rt.delete(id, { force: true });
    });

    it('samples stats and lists processes of a running task', async () => {
      const { id, pid } = await startLong({ resources: { memory: 48 * MiB } });
      const s = await rt.stats(id);
      expect(s.memoryUsage).toBeGreaterThan(0);
      expect(s.memoryLimit).toBe(48 * MiB);
      expect(s.pids).toBe(1);
      expect(s.cpuTotalNs).toBeGreaterThan(0);
      expect(s.systemCpuUs * 1000).toBeGreaterThan(s.cpuTotalNs);
      expect(s.onlineCpus).toBeGreaterThan(0);
      const top = await rt.top(id);
      expect(top).toHaveLength(1);
      expect(top[0]).toMatchObject({ pid, uid: 0, args: ['sleep', '60'], comm: 'sleep' });
      await rt.delete(id, { force: true });
      expect(await codeOf(rt.stats(id))).toBe('NotFound');
    });

    it('stats and top of a stopped task fail with FailedPrecondition', async () => {
      const spec = fx.spec(['true']);
      await rt.create(spec);
      await rt.start(spec.id);
      await rt.wait(spec.id);
      expect(await codeOf(rt.stats(spec.id))).toBe('FailedPrecondition');
      expect(await codeOf(rt.top(spec.id))).toBe('FailedPrecondition');
      expect(await codeOf(rt.pause(spec.id))).toBe('FailedPrecondition');
      await rt.delete(spec.id);
    });

    it('--cap-drop CHOWN makes chown fail; the default set allows it', async () => {
      const allowed = await runToEnd(fx.spec(['chown', '1', '/tmp']));
      expect(allowed.exit.exitCode).toBe(0);
      const dropped = await runToEnd(fx.spec(['chown', '1', '/tmp'], { security: { capDrop: ['CHOWN'] } }));
      expect(dropped.exit.exitCode).not.toBe(0);
      expect(dropped.output).toMatch(/Operation not permitted/);
    });

    it('applies seccomp by default (unconfined on request) and no-new-privileges', async () => {
      const probe = ['sh', '-c', 'grep -E "^(Seccomp|NoNewPrivs):" /proc/self/status'];
      expect((await runToEnd(fx.spec(probe))).output).toMatch(/NoNewPrivs:\s+0\nSeccomp:\s+2/);
      const hardened = await runToEnd(
        fx.spec(probe, { security: { securityOpt: ['seccomp=unconfined', 'no-new-privileges'] } }),
      );
      expect(hardened.output).toMatch(/NoNewPrivs:\s+1\nSeccomp:\s+0/);
      const denied = await runToEnd(fx.spec(['sh', '-c', 'mount -t tmpfs none /mnt && echo mounted']));
      expect(denied.output).not.toContain('mounted');
    });

    it('--init runs tini as PID 1, which reaps orphaned zombies', async () => {
      const script =
        'sh -c "sleep 0.2 &"; sleep 1; cat /proc/1/cmdline | tr "\\0" " "; echo; cat /proc/[0-9]*/stat | grep -c ") Z " || true';
      const { exit, output } = await runToEnd(fx.spec(['sh', '-c', script], { security: { init: true } }));
      expect(exit.exitCode).toBe(0);
      const [cmdline, zombies] = output.trim().split('\n');
      expect(cmdline).toMatch(/^\/sbin\/docker-init -- sh -c/);
      expect(zombies).toBe('0');
    });

    it('applies --ulimit and refuses one above the host hard limit, leaving nothing behind', async () => {
      const { output } = await runToEnd(
        fx.spec(['sh', '-c', 'ulimit -n; ulimit -Hn'], {
          resources: { ulimits: [{ name: 'nofile', soft: 512, hard: 700 }] },
        }),
      );
      expect(output).toBe('512\n700\n');
      const host = Number(
        readFileSync('/proc/self/limits', 'utf8')
          .split('\n')
          .find((l) => l.startsWith('Max open files'))
          ?.trim()
          .split(/\s+/)[4],
      );
      const spec = fx.spec(['true'], { resources: { ulimits: [{ name: 'nofile', soft: 10, hard: host + 1 }] } });
      expect(await codeOf(rt.create(spec))).toBe('InvalidArgument');
      expect(existsSync(join(fx.stateDir, 'tasks', spec.id))).toBe(false);
    });

    it('adds --group-add groups (numbers and names from the image) to the process', async () => {
      const { output } = await runToEnd(fx.spec(['id', '-G'], { security: { groupAdd: ['1234', 'root'] } }));
      expect(output.trim().split(' ').sort()).toEqual(['0', '1234']);
      expect(await codeOf(rt.create(fx.spec(['true'], { security: { groupAdd: ['no-such-group'] } })))).toBe(
        'InvalidArgument',
      );
    });

    it('--device makes a host device node usable under another name', async () => {
      const spec = fx.spec(['sh', '-c', 'echo x > /dev/mynull && stat -c "%F %t:%T" /dev/mynull'], {
        resources: { devices: [{ pathOnHost: '/dev/null', pathInContainer: '/dev/mynull', cgroupPermissions: 'rwm' }] },
      });
      const { exit, output } = await runToEnd(spec);
      expect(exit.exitCode).toBe(0);
      expect(output.trim()).toBe('character special file 1:3');
    });

    it('refuses a memory limit below 6 MiB and negative limits', async () => {
      expect(await codeOf(rt.create(fx.spec(['true'], { resources: { memory: 4 * MiB } })))).toBe('InvalidArgument');
      expect(await codeOf(rt.create(fx.spec(['true'], { resources: { cpuShares: -3 } })))).toBe('InvalidArgument');
      expect(await rt.list()).toEqual([]);
    });
  });
}

describe.skipIf(skipUnlessRoot('runc', 'conmon'))('task control (root)', () => {
  describeControl('local', async (fx) => ({
    rt: createLocalTaskRuntime({ stateDir: fx.stateDir, cgroupParent: fx.cgroupParent }),
    close: async () => undefined,
  }));

  describeControl('grpc', async (fx) => {
    const server = new Server();
    addRuntimeService(server, createLocalTaskRuntime({ stateDir: fx.stateDir, cgroupParent: fx.cgroupParent }));
    const address = await listen(server, `unix://${join(fx.dir, 'runtime.sock')}`);
    const client = new GrpcTaskRuntime(address);
    return {
      rt: client,
      close: async () => {
        client.close();
        await new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
      },
    };
  });
});
