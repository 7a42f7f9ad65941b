import { existsSync } from 'node:fs';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { notFound, type ContainerInfo } from '@tscr/api';
import { uniqueName } from '@tscr/testkit';
import { rejection, run } from '../conformance/container-service.js';
import { fakeStack, type FakeStack } from '../fixtures/harness.js';

let s: FakeStack;
beforeEach(async () => {
  s = await fakeStack();
});
afterEach(async () => {
  await s.cleanup();
});

const busybox = (cmd: string[], extra: Partial<ContainerInfo['config']> = {}) => ({
  config: { image: 'busybox:test', cmd, ...extra },
});

async function until(check: () => boolean | Promise<boolean>): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error('condition not met in time');
}

describe('LocalContainerService: create', () => {
  it('merges the image config: env with PATH, workdir, labels, hostname', async () => {
    s.images.images.set('app:1', {
      ...(await s.images.get('busybox:test')),
      id: `sha256:${'e'.repeat(64)}`,
      config: {
        entrypoint: ['/app'],
        cmd: ['--serve'],
        env: ['A=1', 'B=2'],
        workingDir: '/srv',
        user: 'tscr',
        labels: { x: 'img' },
      },
    });
    const { id } = await s.service.create({ config: { image: 'app:1', env: ['B=3', 'C=4'], labels: { y: 'ctr' } } });
    const info = await s.service.inspect(id);
    expect([info.path, ...info.args]).toEqual(['/app', '--serve']);
    expect(info.config.env).toEqual(['A=1', 'B=3', 'C=4', expect.stringMatching(/^PATH=\//)]);
    expect(info.config).toMatchObject({
      workingDir: '/srv',
      user: 'tscr',
      labels: { x: 'img', y: 'ctr' },
      hostname: id.slice(0, 12),
    });
    expect(info.image).toBe(`sha256:${'e'.repeat(64)}`);
    expect(info.name).toMatch(/^[a-z]+_[a-z]+$/);
    expect(s.events.actions(id)).toEqual(['create']);
  });

  it('keeps binds and mounts, as inspect shows them', async () => {
    const { id } = await s.service.create({
      ...busybox(['echo']),
      hostConfig: { binds: ['/tmp:/data:ro'], mounts: [{ type: 'tmpfs', source: '', target: '/run' }] },
    });
    expect((await s.service.inspect(id)).mounts).toEqual([
      { type: 'bind', source: '/tmp', destination: '/data', rw: false },
      { type: 'tmpfs', source: 'tmpfs', destination: '/run', rw: true },
    ]);
  });

  it('leaves nothing behind when a step fails', async () => {
    s.images.failPrepare = true;
    await expect(s.service.create({ name: 'web', ...busybox(['echo']) })).rejects.toThrow('disk on fire');
    s.images.failPrepare = false;
    const badMount = await rejection(
      s.service.create({ name: 'web', ...busybox(['echo']), hostConfig: { binds: ['/tmp:rel'] } }),
    );
    expect(badMount.code).toBe('InvalidArgument');
    const badNet = await rejection(
      s.service.create({ name: 'web', ...busybox(['echo']), hostConfig: { networkMode: 'nope' } }),
    );
    expect(badNet.code).toBe('NotFound');
    expect(s.store.list()).toEqual([]);
    expect(s.images.snapshots.size).toBe(0);
    expect(await readdir(s.containersDir)).toEqual([]);
  });

  it('makes the containers directory when it is missing, and reports what else stops the directory', async () => {
    await rm(s.containersDir, { recursive: true });
    const { id } = await s.service.create(busybox(['echo']));
    expect(await readdir(s.containersDir)).toEqual([id]);
    // Not a directory where the containers' directory should be: a clear error, nothing half-made.
    await rm(s.containersDir, { recursive: true });
    await writeFile(s.containersDir, '');
    const err = await rejection(s.service.create(busybox(['echo'])));
    expect(err.message).toMatch(/cannot create the container directory/);
    expect(s.store.list().map((c) => c.id)).toEqual([id]);
    expect(s.images.snapshots.size).toBe(1);
    await rm(s.containersDir);
    await mkdir(s.containersDir);
  });

  it('makes the containers directory again when it was removed under the daemon', async () => {
    const first = await s.service.create(busybox(['echo']));
    expect(existsSync(join(s.containersDir, first.id, 'container.log'))).toBe(true);
    await rm(s.containersDir, { recursive: true, force: true });
    const { id } = await s.service.create(busybox(['echo']));
    expect((await readdir(join(s.containersDir, id))).sort()).toEqual(['container.log']);
    expect((await s.service.inspect(id)).logPath).toBe(join(s.containersDir, id, 'container.log'));
  });

  it('undoes the snapshot when the volume layer refuses a mount', async () => {
    const mounts = [{ type: 'bind' as const, source: '/x', target: 'relative' }];
    expect((await rejection(s.service.create({ ...busybox(['echo']), hostConfig: { mounts } }))).code).toBe(
      'InvalidArgument',
    );
    expect(s.images.snapshots.size).toBe(0);
    expect(await readdir(s.containersDir)).toEqual([]);
  });

  it('says which prefix is ambiguous', async () => {
    const a = await s.service.inspect((await s.service.create(busybox(['echo']))).id);
    // Twins share the first 4 hex digits with `a`, never the 5th (else the 5-digit prefix would be ambiguous too).
    const [d1, d2] = [...'0123456789abcdef'].filter((d) => d !== a.id[4]);
    s.store.insert({ ...a, id: `${a.id.slice(0, 4)}${d1!.repeat(60)}`, name: 'twin1' });
    s.store.insert({ ...a, id: `${a.id.slice(0, 4)}${d2!.repeat(60)}`, name: 'twin2' });
    const r = await rejection(s.service.inspect(a.id.slice(0, 4)));
    expect(r.code).toBe('InvalidArgument');
    expect((await s.service.inspect(a.id.slice(0, 5))).name).toMatch(/^(twin1|twin2|[a-z]+_[a-z]+)$/);
  });
});

describe('LocalContainerService: start and exit', () => {
  it('gives the runtime a complete task spec and releases everything on exit', async () => {
    const { id } = await s.service.create({
      ...busybox(['sleep', '1000'], { user: '1000', workingDir: '/tmp' }),
      hostConfig: { networkMode: 'host' },
    });
    await s.service.start(id);
    const spec = s.runtime.specs.at(-1)!;
    expect(spec).toMatchObject({ id, hostname: id.slice(0, 12), runtime: 'runc', network: { mode: 'host' } });
    expect(spec.process).toMatchObject({ args: ['sleep', '1000'], cwd: '/tmp', user: '1000' });
    expect(spec.process.env).toEqual(expect.arrayContaining(['PATH=/bin', `HOSTNAME=${id.slice(0, 12)}`]));
    expect(spec.rootfs[0]?.type).toBe('overlay');
    expect(spec.logPath).toBe((await s.service.inspect(id)).logPath);
    expect(s.networks.attached.has(id)).toBe(true);
    await s.service.kill(id, 'SIGKILL');
    await s.service.wait(id);
    await until(() => !s.runtime.tasks.has(id) && !s.networks.attached.has(id));
    expect(s.events.actions(id)).toEqual(['create', 'start', 'kill', 'die']);
    expect(s.events.events.find((e) => e.action === 'die')?.attributes).toMatchObject({
      exitCode: '137',
      image: 'busybox:test',
    });
  });

  it('serializes concurrent starts', async () => {
    const { id } = await s.service.create(busybox(['sleep', '1000']));
    await Promise.all([s.service.start(id), s.service.start(id), s.service.start(id)]);
    expect(s.runtime.specs.length).toBe(1);
    // RestartCount counts the restart policy's restarts only (as Docker's).
    expect((await s.service.inspect(id)).restartCount).toBe(0);
  });

  it('escalates to SIGKILL after the stop timeout and emits stop', async () => {
    const { id } = await s.service.create(busybox(['trap-term']));
    await s.service.start(id);
    const t0 = Date.now();
    await s.service.stop(id, { timeout: 0.2 });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(150);
    expect((await s.service.inspect(id)).state.exitCode).toBe(137);
    expect(s.events.actions(id)).toEqual(['create', 'start', 'die', 'stop']);
  });

  it('maps start failures to exit codes 127 and 126', async () => {
    const { id } = await s.service.create(busybox(['nosuchcmd']));
    const waiting = s.service.wait(id, { condition: 'next-exit' });
    await expect(s.service.start(id)).rejects.toMatchObject({
      code: 'NotFound',
      details: { reason: 'ExecutableNotFound' },
    });
    expect(await waiting).toMatchObject({ exitCode: 127, error: expect.stringContaining('nosuchcmd') });
    expect(s.networks.attached.has(id)).toBe(false);

    const original = s.runtime.create.bind(s.runtime);
    s.runtime.create = async () => {
      throw notFound('permission denied', { details: { reason: 'ExecutableNotExecutable' } });
    };
    const second = await s.service.create(busybox(['echo']));
    await expect(s.service.start(second.id)).rejects.toMatchObject({ details: { reason: 'ExecutableNotExecutable' } });
    expect((await s.service.inspect(second.id)).state.exitCode).toBe(126);
    s.runtime.create = original;
  });

  it('removes an autoRemove container whose start failed', async () => {
    const { id } = await s.service.create({ ...busybox(['nosuchcmd']), hostConfig: { autoRemove: true } });
    const removed = s.service.wait(id, { condition: 'removed' });
    await expect(s.service.start(id)).rejects.toMatchObject({ code: 'NotFound' });
    expect((await removed).exitCode).toBe(127);
    expect(s.store.get(id)).toBeUndefined();
    expect(s.images.snapshots.has(id)).toBe(false);
  });

  it('emits destroy after die for --rm and deletes the directory', async () => {
    const r = await run(s.service, { ...busybox(['echo', 'x']), hostConfig: { autoRemove: true } });
    expect(s.events.actions(r.id)).toEqual(['create', 'start', 'die', 'destroy']);
    expect(existsSync(join(s.containersDir, r.id))).toBe(false);
  });
});

describe('LocalContainerService: recover', () => {
  it('records an exit that happened while the daemon was down', async () => {
    const { id } = await s.service.create(busybox(['sleep', '1000']));
    await s.service.start(id);
    s.service.close();
    await s.runtime.kill(id, 'SIGTERM');
    await until(async () => (await s.runtime.state(id)).status === 'stopped');
    expect(s.store.get(id)?.state.status).toBe('running');
    const again = s.restart();
    await again.recover();
    expect((await again.inspect(id)).state).toMatchObject({ status: 'exited', exitCode: 143, running: false });
    expect(s.runtime.tasks.has(id)).toBe(false);
  });

  it('re-arms the watcher of a container that is still running', async () => {
    const { id } = await s.service.create({ ...busybox(['sleep', '1000']), hostConfig: { autoRemove: true } });
    await s.service.start(id);
    const again = s.restart();
    await again.recover();
    expect((await again.inspect(id)).state.status).toBe('running');
    const removed = again.wait(id, { condition: 'removed' });
    await s.runtime.kill(id, 'SIGKILL');
    expect((await removed).exitCode).toBe(137);
    expect(s.store.get(id)).toBeUndefined();
  });

  it('finishes interrupted removals and deletes leftovers of interrupted creates', async () => {
    const { id } = await s.service.create({ name: uniqueName('ctr'), ...busybox(['echo']) });
    const info = s.store.get(id)!;
    s.store.update({ ...info, state: { ...info.state, status: 'removing' } });
    const orphan = 'f'.repeat(64);
    await mkdir(join(s.containersDir, orphan));
    s.images.snapshots.add(orphan);
    // A directory an earlier instance moved to the trash and did not finish removing (a crash).
    const left = join(s.containersDir, '.trash', `${'e'.repeat(64)}.0badc0de-1`);
    await mkdir(join(left, 'userdata'), { recursive: true });
    const again = s.restart();
    await again.recover();
    expect(s.store.get(id)).toBeUndefined();
    expect(s.images.snapshots.size).toBe(0);
    expect(await readdir(s.containersDir)).toEqual(['.trash']);
    await again.settled(); // the removed container's directory and the crash's leftover, behind the calls
    expect(await readdir(join(s.containersDir, '.trash'))).toEqual([]);
  });

  it('answers a remove once the directory is in the trash, and removes it behind the call', async () => {
    const { id } = await s.service.create({ name: uniqueName('ctr'), ...busybox(['echo']) });
    await writeFile(join(s.containersDir, id, 'big'), 'x'.repeat(1 << 16));
    await s.service.remove(id);
    expect(await readdir(s.containersDir)).toEqual(['.trash']);
    await s.service.settled();
    expect(await readdir(join(s.containersDir, '.trash'))).toEqual([]);
  });
});

describe('volumes of a container', () => {
  it('releases its volumes on removal, anonymous ones only with rm -v', async () => {
    const a = await s.service.create(busybox(['true']));
    const b = await s.service.create(busybox(['true']));
    await s.service.remove(a.id);
    await s.service.remove(b.id, { volumes: true });
    expect(s.volumes.released).toEqual([
      [a.id, false],
      [b.id, true],
    ]);
  });
});
