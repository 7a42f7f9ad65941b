import { existsSync, readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { skipUnlessRoot } from '@tscr/testkit';
import { createLocalTaskRuntime, findRelay } from '@tscr/runtime/local';
import { makeRuntimeFixture, type RuntimeFixture } from '../conformance/fixture.js';

const relay = await findRelay().catch(() => undefined);

/** This process's children, as `[pid, argv]`. */
function children(): [number, string[]][] {
  const out: [number, string[]][] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid !== process.pid) continue;
      out.push([Number(name), readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0').filter(Boolean)]);
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** conmon is started through the relay's spawner: one long-lived child, not a fork of this process per task. */
describe.skipIf(skipUnlessRoot('runc', 'conmon') || !relay || process.env.TSCR_SPAWNER === 'thread')(
  'monitor start through the relay (root)',
  () => {
    let fx: RuntimeFixture;
    beforeAll(async () => {
      fx = await makeRuntimeFixture('monitor-start');
    });
    afterAll(async () => {
      await fx?.cleanup();
    });

    it('starts every conmon from one `tscr-relay spawner` child, and the tasks run', async () => {
      const rt = createLocalTaskRuntime({ stateDir: fx.stateDir, cgroupParent: fx.cgroupParent });
      const specs = [fx.spec(['sh', '-c', 'echo one']), fx.spec(['sh', '-c', 'echo two'])];
      // A test process may hold the spawner of an earlier test file: only the one this file starts counts.
      const spawnersNow = () => children().filter(([pid, argv]) => argv[1] === 'spawner' && !before.has(pid));
      const before = new Set(children().map(([pid]) => pid));
      for (const spec of specs) await rt.create(spec);
      const spawners = spawnersNow();
      expect(spawners.map(([, argv]) => argv[0])).toEqual([relay]);
      for (const spec of specs) {
        await rt.start(spec.id);
        expect((await rt.wait(spec.id)).exitCode).toBe(0);
        await rt.delete(spec.id);
      }
      expect(specs.map((s) => fx.output(s.id))).toEqual(['one\n', 'two\n']);
      // The same child served both: still one.
      expect(spawnersNow()).toEqual(spawners);
      await rt.settled();
    });

    it("starts conmon with --sync as the relay's own child, which the relay reaps when the task exits", async () => {
      if (process.env.TSCR_CONMON_SYNC === '0') return;
      const rt = createLocalTaskRuntime({ stateDir: fx.stateDir, cgroupParent: fx.cgroupParent });
      const spec = fx.spec(['sh', '-c', 'echo out; exit 3']);
      const { pid } = await rt.create(spec);
      try {
        const monitor = Number(/^PPid:\s*(\d+)$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]);
        expect(readFileSync(`/proc/${monitor}/cmdline`, 'utf8').split('\0')).toContain('--sync');
        const parent = Number(/^PPid:\s*(\d+)$/m.exec(readFileSync(`/proc/${monitor}/status`, 'utf8'))![1]);
        expect(readFileSync(`/proc/${parent}/cmdline`, 'utf8').split('\0').slice(0, 2)).toEqual([relay, 'spawner']);
        await rt.start(spec.id);
        expect((await rt.wait(spec.id)).exitCode).toBe(3);
        expect(fx.output(spec.id)).toBe('out\n');
        // Reaped by the relay, not left a zombie for init: /proc/<monitor> goes away.
        for (let i = 0; i < 100 && existsSync(`/proc/${monitor}`); i++) await sleep(50);
        expect(existsSync(`/proc/${monitor}`)).toBe(false);
      } finally {
        await rt.delete(spec.id, { force: true });
      }
      await rt.settled();
    });

    it('runs runc from the sealed copy the relay keeps (no per-container copy in `runc init`)', async () => {
      if (process.env.TSCR_SEALED_RUNC === '0') return;
      const rt = createLocalTaskRuntime({ stateDir: fx.stateDir, cgroupParent: fx.cgroupParent });
      const spec = fx.spec(['true']);
      const { pid } = await rt.create(spec);
      try {
        const ppid = /^PPid:\s*(\d+)$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1];
        const conmon = readFileSync(`/proc/${ppid}/cmdline`, 'utf8').split('\0');
        expect(conmon[0]).toMatch(/conmon$/);
        const runtime = conmon[conmon.indexOf('-r') + 1]!;
        expect(runtime).toMatch(/^\/proc\/\d+\/fd\/\d+$/); // the sealing itself: relay-spawner.test.ts
        expect(readlinkSync(runtime)).toMatch(/^\/memfd:/);
        expect(readFileSync(runtime).equals(readFileSync('/usr/sbin/runc'))).toBe(true);
        await rt.start(spec.id);
        expect((await rt.wait(spec.id)).exitCode).toBe(0);
      } finally {
        await rt.delete(spec.id, { force: true });
      }
      await rt.settled();
    });

    it('runs `runc exec` from the same sealed copy', async () => {
      if (process.env.TSCR_SEALED_RUNC === '0') return;
      const rt = createLocalTaskRuntime({ stateDir: fx.stateDir, cgroupParent: fx.cgroupParent });
      const spec = fx.spec(['sleep', '30']);
      await rt.create(spec);
      try {
        await rt.start(spec.id);
        const session = await rt.exec(spec.id, { id: 'tscr-test-sealed', args: ['sleep', '1'] }, { output: false });
        const ppid = /^PPid:\s*(\d+)$/m.exec(readFileSync(`/proc/${session.pid}/status`, 'utf8'))![1];
        const runc = readFileSync(`/proc/${ppid}/cmdline`, 'utf8').split('\0');
        expect(runc.slice(1, 3)).toEqual(['--root', expect.any(String)]);
        expect(runc).toContain('exec');
        expect(runc[0]).toMatch(/^\/proc\/\d+\/fd\/\d+$/);
        expect((await session.exit).exitCode).toBe(0);
      } finally {
        await rt.delete(spec.id, { force: true });
      }
      await rt.settled();
    });
  },
);
