import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAILPOINTS_ENV } from '@tscr/api';
import { skipUnlessRoot } from '@tscr/testkit';
import { createLocalTaskRuntime } from '@tscr/runtime/local';
import { makeRuntimeFixture, type RuntimeFixture } from '../conformance/fixture.js';

const packageDir = fileURLToPath(new URL('../..', import.meta.url));
const built = existsSync(join(packageDir, 'dist', 'local', 'index.js'));

/** The cgroup directories runc recorded for a task (one per v1 controller). */
function cgroupsOf(stateDir: string): string[] {
  const state = JSON.parse(readFileSync(join(stateDir, 'state.json'), 'utf8')) as {
    cgroup_paths: Record<string, string>;
  };
  return [...new Set(Object.values(state.cgroup_paths))];
}

const trashOf = (fx: RuntimeFixture) => join(fx.stateDir, 'trash');
const entries = (fx: RuntimeFixture) => (existsSync(trashOf(fx)) ? readdirSync(trashOf(fx)) : []);

/**
 * The delete of a stopped task moves its runc state and bundle to the trash
 * and answers; the cgroups and files go behind it, and what a crash leaves
 * there is finished by the next instance.
 */
describe.skipIf(skipUnlessRoot('runc', 'conmon'))('deleted tasks removed behind the delete (root)', () => {
  let fx: RuntimeFixture;
  beforeAll(async () => {
    fx = await makeRuntimeFixture('trash');
  });
  afterAll(async () => {
    await fx?.cleanup();
  });

  it("marks the bundles' and runc's state directories as tops of unrelated trees (chattr +T) at the first create", async (ctx) => {
    const lsattr = (dir: string) => execFileSync('lsattr', ['-d', dir], { encoding: 'utf8' }).split(' ')[0]!;
    const probe = join(fx.stateDir, 'probe');
    try {
      execFileSync('mkdir', ['-p', probe]);
      execFileSync('chattr', ['+T', probe], { stdio: 'ignore' });
      if (!lsattr(probe).includes('T')) ctx.skip();
    } catch {
      ctx.skip(); // not ext2/3/4, or no chattr: nothing is marked anywhere
    }
    const rt = createLocalTaskRuntime({ stateDir: fx.stateDir, cgroupParent: fx.cgroupParent });
    const spec = fx.spec(['true']);
    await rt.create(spec);
    expect(lsattr(join(fx.stateDir, 'tasks'))).toContain('T');
    expect(lsattr(join(fx.stateDir, 'runc-root'))).toContain('T');
    await rt.delete(spec.id, { force: true });
    await rt.settled();
  });

  it('answers once the task is gone, and removes its cgroups and state right after', async () => {
    const rt = createLocalTaskRuntime({ stateDir: fx.stateDir, cgroupParent: fx.cgroupParent });
    const spec = fx.spec(['true']);
    await rt.create(spec);
    await rt.start(spec.id);
    await rt.wait(spec.id);
    const cgroups = cgroupsOf(join(fx.stateDir, 'runc-root', spec.id));
    expect(cgroups.length).toBeGreaterThan(0);
    expect((await rt.delete(spec.id))?.exitCode).toBe(0);
    // Gone for every call at once: no bundle, no runc state.
    expect(existsSync(join(fx.stateDir, 'tasks', spec.id))).toBe(false);
    expect(existsSync(join(fx.stateDir, 'runc-root', spec.id))).toBe(false);
    expect(await rt.list()).toEqual([]);
    // The rest was still under way when the delete answered: the entry holds runc's state.
    const [entry] = entries(fx);
    expect(entry?.startsWith(`${spec.id}.`)).toBe(true);
    const moved = join(trashOf(fx), entry!, 'runtime-state', spec.id, 'state.json');
    expect(existsSync(moved), 'state moved, not deleted by runc').toBe(true);
    // The exit file and the attach socket link went with the bundle (renames, no unlink on the call's path).
    expect(existsSync(join(fx.stateDir, 'exits', spec.id))).toBe(false);
    expect(existsSync(join(fx.stateDir, 'sockets', spec.id))).toBe(false);
    expect(readFileSync(join(trashOf(fx), entry!, 'exit-code'), 'utf8').trim()).toBe('0');
    await rt.settled();
    expect(entries(fx)).toEqual([]);
    for (const cg of cgroups) expect(existsSync(cg), cg).toBe(false);
    // The same ID can be used again at once.
    await rt.create(spec);
    await rt.start(spec.id);
    expect((await rt.wait(spec.id)).exitCode).toBe(0);
    await rt.delete(spec.id);
    await rt.settled();
    expect(entries(fx)).toEqual([]);
  });

  it("falls back to runc's delete when a trashed task's cgroup still holds a process", async () => {
    // What a sweep can meet: an entry whose task still runs (here moved by hand; the in-process path
    // checked that the init was gone, but an exec'd process or a task without a PID namespace can remain). rmdir fails (EBUSY); `runc delete --force` kills it.
    const rt = createLocalTaskRuntime({ stateDir: fx.stateDir, cgroupParent: fx.cgroupParent });
    const spec = fx.spec(['sleep', '1000']);
    const { pid } = await rt.create(spec);
    await rt.start(spec.id);
    const cgroups = cgroupsOf(join(fx.stateDir, 'runc-root', spec.id));
    const entry = join(trashOf(fx), `${spec.id}.crashed-1`);
    spawnSync('umount', [join(fx.stateDir, 'tasks', spec.id, 'rootfs')]); // as a delete does before its renames
    renameSync(join(fx.stateDir, 'runc-root', spec.id), join(fx.stateDir, 'tasks', spec.id, 'runtime-state', spec.id));
    renameSync(join(fx.stateDir, 'tasks', spec.id), entry);
    const next = createLocalTaskRuntime({ stateDir: fx.stateDir, cgroupParent: fx.cgroupParent });
    expect(await next.list()).toEqual([]);
    expect(entries(fx)).toEqual([]);
    expect(existsSync(`/proc/${pid}`) && !readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z')).toBe(false);
    for (const cg of cgroups) expect(existsSync(cg), cg).toBe(false);
  });

  // A daemon killed after a delete's renames (the `runtime.delete.after-trash` failpoint, armed in a
  // child process that runs the built package): the entry and the cgroups stay, and the next
  // instance's first list removes them.
  it.skipIf(!built)('leaves what a crash interrupted to the next instance, which removes it', async () => {
    const id = `tscr-test-crash-${process.pid}`;
    const spec = fx.spec(['true'], { id });
    const script = `
      import { createLocalTaskRuntime } from '@tscr/runtime/local';
      const rt = createLocalTaskRuntime(${JSON.stringify({ stateDir: fx.stateDir, cgroupParent: fx.cgroupParent })});
      const spec = ${JSON.stringify(spec)};
      await rt.create(spec);
      await rt.start(spec.id);
      await rt.wait(spec.id);
      await rt.delete(spec.id);
      console.log('deleted');
    `;
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      cwd: packageDir,
      env: { ...process.env, [FAILPOINTS_ENV]: 'runtime.delete.after-trash=kill' },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(child.signal, child.stderr).toBe('SIGKILL');
    const [entry] = entries(fx);
    expect(entry?.startsWith(`${id}.`), `trash: ${entries(fx).join(', ')}`).toBe(true);
    const cgroups = cgroupsOf(join(trashOf(fx), entry!, 'runtime-state', id));
    for (const cg of cgroups) expect(existsSync(cg), cg).toBe(true);

    const next = createLocalTaskRuntime({ stateDir: fx.stateDir, cgroupParent: fx.cgroupParent });
    expect(await next.list()).toEqual([]);
    expect(entries(fx)).toEqual([]);
    for (const cg of cgroups) expect(existsSync(cg), cg).toBe(false);
    await next.create(spec);
    await next.start(id);
    expect((await next.wait(id)).exitCode).toBe(0);
    await next.delete(id);
    await next.settled();
  });
});
