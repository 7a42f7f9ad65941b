/**
 * Docker volume plug-ins end to end: a real tscrd (built) finds plug-ins written here (Node HTTP servers on a
 * UNIX socket in its plugin directory, and one on loopback TCP through a `.spec` file), and the tscr CLI and the
 * Docker CLI run real containers (runc + overlayfs) on their volumes. Faults: a plug-in that hangs, crashes
 * mid-call, answers garbage, restarts or is down. Root only; everything under /tmp/tscr-test-plugins-….
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { NO_REPLY, type TestPlugin, createTestPlugin, faults, uniqueName } from '@tscr/testkit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { PluginDaemon, type Result, e2eSkipReason, mountsUnder } from '../fixtures/daemon.js';
import { volumePluginHandlers } from '../fixtures/volume-plugin.js';

const skip = e2eSkipReason();

describe.skipIf(skip)('volume plug-ins through tscrd', () => {
  let d: PluginDaemon;
  let plugin: TestPlugin;
  let store: ReturnType<typeof volumePluginHandlers>;
  const image = `${uniqueName('pimg')}:test`;
  const ok = (r: Result): string => {
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    return r.stdout;
  };
  const failed = (r: Result): string => {
    expect(r.code).not.toBe(0);
    return r.stderr;
  };
  const data = (vol: string, file: string) => join(d.dir, 'plugin-data', vol, file);
  const healthy = async () => {
    expect(ok(await d.tscr(['version', '--format', '{{.Server.Version}}'])).trim()).not.toBe('');
    expect(d.running).toBe(true);
  };

  beforeAll(async () => {
    d = await PluginDaemon.create('plugins');
    store = volumePluginHandlers(join(d.dir, 'plugin-data'));
    plugin = await createTestPlugin({ socketDir: d.pluginDir, name: uniqueName('vp'), handlers: store.handlers });
    await d.start();
    await d.importBusybox(image);
  }, 120_000);

  afterEach(() => {
    // Nothing a test did stays mounted on the host, and every Mount the plug-in made was undone by an Unmount.
    expect(mountsUnder(d.dir)).toEqual([]);
    expect([...store.volumes.keys()].filter((v) => store.mounted(v) > 0)).toEqual([]);
    plugin.handlers = { ...store.handlers };
  });

  afterAll(async () => {
    await d?.cleanup();
    await plugin?.close();
  }, 60_000);

  it('tscr plugin ls / inspect and the Docker API show the plug-in and what it implements', async () => {
    const ls = ok(await d.tscr(['plugin', 'ls']));
    expect(ls).toMatch(new RegExp(`^${plugin.name}\\s+VolumeDriver\\s+unix://\\S+\\s+ok$`, 'm'));
    const [info] = JSON.parse(ok(await d.tscr(['plugin', 'inspect', plugin.name])));
    expect(info).toMatchObject({
      Name: plugin.name,
      Enabled: true,
      Config: { Interface: { Types: ['docker.volumedriver/1.0'], Socket: join(d.pluginDir, `${plugin.name}.sock`) } },
    });
    expect(ok(await d.docker(['plugin', 'ls', '--format', '{{.Name}} {{.Enabled}}'])).trim()).toBe(
      `${plugin.name} true`,
    );
    expect(failed(await d.tscr(['plugin', 'inspect', 'tscr-test-none']))).toContain(
      'plugin "tscr-test-none" not found',
    );
  });

  it('tscr: volume create -d -o, run -v with --volume-driver and --mount volume-driver; data outlives containers', async () => {
    const vol = uniqueName('pv');
    expect(ok(await d.tscr(['volume', 'create', '-d', plugin.name, '-o', 'size=1g', vol]))).toBe(`${vol}\n`);
    expect(
      plugin.calls.find((c) => c.method === 'VolumeDriver.Create' && (c.body as { Name: string }).Name === vol)?.body,
    ).toEqual({
      Name: vol,
      Opts: { size: '1g' },
    });
    expect(ok(await d.tscr(['volume', 'ls', '--format', '{{.Driver}} {{.Name}}']))).toContain(
      `${plugin.name} ${vol}\n`,
    );
    ok(await d.tscr(['run', '--rm', '-v', `${vol}:/data`, image, 'sh', '-c', 'echo from-one > /data/note']));
    expect(readFileSync(data(vol, 'note'), 'utf8')).toBe('from-one\n');
    const mount = plugin.calls.find((c) => c.method === 'VolumeDriver.Mount');
    const unmount = plugin.calls.find((c) => c.method === 'VolumeDriver.Unmount');
    expect(mount?.body).toMatchObject({ Name: vol, ID: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(unmount?.body).toEqual(mount?.body);
    // A second container reads it; the volume kept its data after the first was removed.
    expect(ok(await d.tscr(['run', '--rm', '-v', `${vol}:/in:ro`, image, 'cat', '/in/note']))).toBe('from-one\n');
    // --volume-driver makes a new volume on the plug-in.
    const auto = uniqueName('pauto');
    ok(await d.tscr(['run', '--rm', '--volume-driver', plugin.name, '-v', `${auto}:/d`, image, 'touch', '/d/x']));
    expect(existsSync(data(auto, 'x'))).toBe(true);
    // --mount with volume-driver and volume-opt.
    const mnt = uniqueName('pmnt');
    const spec = `type=volume,source=${mnt},target=/m,volume-driver=${plugin.name},volume-opt=tier=fast`;
    ok(await d.tscr(['run', '--rm', '--mount', spec, image, 'sh', '-c', 'echo m > /m/f']));
    expect(store.volumes.get(mnt)?.opts).toEqual({ tier: 'fast' });
    const [inspected] = JSON.parse(ok(await d.tscr(['volume', 'inspect', vol])));
    expect(inspected).toMatchObject({
      Name: vol,
      Driver: plugin.name,
      Options: { size: '1g' },
      Mountpoint: join(d.dir, 'plugin-data', vol),
    });
    // In use by a running container: not removable; after it stops, Unmount came and the volume goes.
    const id = ok(await d.tscr(['run', '-d', '-v', `${vol}:/data`, image, 'sleep', '1000'])).trim();
    expect(store.mounted(vol)).toBe(1);
    expect(failed(await d.tscr(['volume', 'rm', vol]))).toContain('in use');
    ok(await d.tscr(['rm', '-f', id]));
    expect(store.mounted(vol)).toBe(0);
    for (const v of [vol, auto, mnt]) ok(await d.tscr(['volume', 'rm', v]));
    expect(store.volumes.has(vol)).toBe(false);
  }, 120_000);

  it('docker CLI: volume create -d, run -v --volume-driver, run --mount volume-driver, volume ls/inspect', async () => {
    const vol = uniqueName('dv');
    ok(await d.docker(['volume', 'create', '-d', plugin.name, '-o', 'k=v', vol]));
    expect(store.volumes.get(vol)?.opts).toEqual({ k: 'v' });
    ok(await d.docker(['run', '--rm', '-v', `${vol}:/data`, image, 'sh', '-c', 'echo docker > /data/f']));
    expect(readFileSync(data(vol, 'f'), 'utf8')).toBe('docker\n');
    const auto = uniqueName('dauto');
    ok(await d.docker(['run', '--rm', '--volume-driver', plugin.name, '-v', `${auto}:/d`, image, 'touch', '/d/y']));
    expect(existsSync(data(auto, 'y'))).toBe(true);
    const mnt = uniqueName('dmnt');
    ok(
      await d.docker([
        'run',
        '--rm',
        '--mount',
        `type=volume,src=${mnt},dst=/m,volume-driver=${plugin.name},volume-opt=a=b`,
        image,
        'cat',
        '/proc/mounts',
      ]),
    );
    expect(store.volumes.get(mnt)?.opts).toEqual({ a: 'b' });
    expect(ok(await d.docker(['volume', 'inspect', '--format', '{{.Driver}}', vol])).trim()).toBe(plugin.name);
    expect(ok(await d.docker(['volume', 'ls', '--filter', `driver=${plugin.name}`, '-q'])).split('\n')).toEqual(
      expect.arrayContaining([vol, auto, mnt]),
    );
    for (const v of [vol, auto, mnt]) ok(await d.docker(['volume', 'rm', v]));
  }, 120_000);

  it('a plug-in on loopback TCP found through a .spec file', async () => {
    const tcpStore = volumePluginHandlers(join(d.dir, 'tcp-data'));
    const tcp = await createTestPlugin({ specDir: d.pluginDir, name: uniqueName('tcp'), handlers: tcpStore.handlers });
    try {
      const vol = uniqueName('tv');
      ok(
        await d.tscr([
          'run',
          '--rm',
          '--mount',
          `type=volume,src=${vol},dst=/t,volume-driver=${tcp.name}`,
          image,
          'sh',
          '-c',
          'echo tcp > /t/f',
        ]),
      );
      expect(readFileSync(join(d.dir, 'tcp-data', vol, 'f'), 'utf8')).toBe('tcp\n');
      expect(tcp.count('VolumeDriver.Mount')).toBe(1);
      expect(tcp.count('VolumeDriver.Unmount')).toBe(1);
      expect(ok(await d.tscr(['plugin', 'ls', '--format', '{{.Name}} {{.Address}}']))).toContain(
        `${tcp.name} ${tcp.address}\n`,
      );
      ok(await d.tscr(['volume', 'rm', vol]));
    } finally {
      await tcp.close();
    }
  }, 60_000);

  it('a Mount that hangs times out; one whose connection is cut fails; nothing stays mounted; the daemon serves on', async () => {
    const vol = uniqueName('hang');
    plugin.handlers['VolumeDriver.Mount'] = faults.hang();
    const started = Date.now();
    expect(
      failed(await d.tscr(['run', '--rm', '--volume-driver', plugin.name, '-v', `${vol}:/d`, image, 'true'])),
    ).toMatch(/VolumeDriver\.Mount: no answer within 2000 ms/);
    expect(Date.now() - started).toBeLessThan(20_000);
    await healthy();
    plugin.handlers['VolumeDriver.Mount'] = faults.crash();
    expect(failed(await d.tscr(['run', '--rm', '-v', `${vol}:/d`, image, 'true']))).toMatch(
      /VolumeDriver\.Mount.*gave up after \d+ attempt/,
    );
    await healthy();
    expect(store.mounted(vol)).toBe(0);
    // The Docker CLI gets the same error.
    expect(failed(await d.docker(['run', '--rm', '-v', `${vol}:/d`, image, 'true']))).toContain('VolumeDriver.Mount');
    plugin.handlers = { ...store.handlers };
    ok(await d.tscr(['run', '--rm', '-v', `${vol}:/d`, image, 'true']));
    ok(await d.tscr(['volume', 'rm', vol]));
  }, 120_000);

  it('garbage answers are a clear error; the plug-in’s own Err reaches both CLIs', async () => {
    plugin.handlers['VolumeDriver.Create'] = faults.garbage('<html>oops');
    expect(failed(await d.tscr(['volume', 'create', '-d', plugin.name, uniqueName('junk')]))).toMatch(
      /VolumeDriver\.Create: the answer is not a JSON object: <html>oops/,
    );
    plugin.handlers['VolumeDriver.Create'] = () => ({ Err: 'quota exceeded on the backend' });
    expect(failed(await d.docker(['volume', 'create', '-d', plugin.name, uniqueName('quota')]))).toContain(
      'quota exceeded on the backend',
    );
    expect(failed(await d.tscr(['volume', 'create', '-d', plugin.name, uniqueName('quota')]))).toContain(
      'quota exceeded on the backend',
    );
    await healthy();
  });

  it('a restarted plug-in is activated again; a plug-in that is down is Unavailable and does not stop volume ls', async () => {
    const vol = uniqueName('rs');
    ok(await d.tscr(['volume', 'create', '-d', plugin.name, vol]));
    // It restarts in the middle of a Mount (the connection is cut, it comes back): the daemon's retry finds it,
    // activates it again and the container runs.
    const activations = plugin.count('Plugin.Activate');
    let restarted = false;
    plugin.handlers['VolumeDriver.Mount'] = (body, ctx) => {
      if (restarted) return store.handlers['VolumeDriver.Mount']?.(body, ctx);
      restarted = true;
      ctx.req.socket.destroy();
      void plugin.stop().then(() => plugin.start());
      return NO_REPLY;
    };
    ok(await d.tscr(['run', '--rm', '-v', `${vol}:/d`, image, 'true']));
    expect(restarted).toBe(true);
    expect(plugin.count('Plugin.Activate')).toBeGreaterThan(activations);
    plugin.handlers = { ...store.handlers };
    // Down: calls fail after the retries, other volumes still list, ls shows it unhealthy.
    await plugin.stop();
    const local = uniqueName('loc');
    ok(await d.tscr(['volume', 'create', local]));
    expect(failed(await d.tscr(['run', '--rm', '-v', `${vol}:/d`, image, 'true']))).toMatch(
      /gave up after \d+ attempt/,
    );
    const names = ok(await d.tscr(['volume', 'ls', '-q'])).split('\n');
    expect(names).toEqual(expect.arrayContaining([local, vol]));
    // Its socket went with it (a stopped server removes it): not listed, and named, NotFound.
    expect(ok(await d.tscr(['plugin', 'ls']))).not.toContain(plugin.name);
    expect(failed(await d.tscr(['volume', 'create', '-d', plugin.name, uniqueName('gone')]))).toContain('not found');
    await healthy();
    // Back: the volume is usable again.
    await plugin.start();
    ok(await d.tscr(['run', '--rm', '-v', `${vol}:/d`, image, 'true']));
    ok(await d.tscr(['volume', 'rm', vol, local]));
  }, 120_000);

  it('after a daemon restart the plug-in volumes are still its (records kept under the root)', async () => {
    const vol = uniqueName('keep');
    ok(await d.tscr(['volume', 'create', '-d', plugin.name, '--label', 'k=v', vol]));
    await d.stop();
    await d.start();
    const [info] = JSON.parse(ok(await d.tscr(['volume', 'inspect', vol])));
    expect(info).toMatchObject({ Name: vol, Driver: plugin.name, Labels: { k: 'v' }, Scope: 'local' });
    ok(await d.tscr(['run', '--rm', '-v', `${vol}:/d`, image, 'true']));
    ok(await d.tscr(['volume', 'rm', vol]));
  }, 120_000);
});
