import { mkdir, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { PluginRegistry, parseSpec, pluginDirs } from '@tscr/plugins/local';
import { type TestPlugin, createTestPlugin, faults, makeTempDir, rawReply, rejection } from '@tscr/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

let root: string;
let sockets: string;
let specs: string;
const plugins: TestPlugin[] = [];
const fast = { retryMs: 400, retryBaseMs: 25, timeoutMs: 2_000 };

async function plugin(opts: Parameters<typeof createTestPlugin>[0]): Promise<TestPlugin> {
  const p = await createTestPlugin(opts);
  plugins.push(p);
  return p;
}

beforeEach(async () => {
  root = await makeTempDir('plugins');
  sockets = join(root, 'run');
  specs = join(root, 'etc');
  await mkdir(sockets);
  await mkdir(specs);
});

afterEach(async () => {
  await Promise.all(plugins.splice(0).map((p) => p.close()));
  await rm(root, { recursive: true, force: true });
});

const registry = (extra: Partial<ConstructorParameters<typeof PluginRegistry>[0]> = {}) =>
  new PluginRegistry({ dirs: { sockets: [sockets], specs: [specs] }, ...fast, ...extra });

describe('discovery', () => {
  it('defaults to dockerd’s directories and appends tscr’s own', () => {
    expect(pluginDirs(undefined, ['/var/lib/tscr/plugins'])).toEqual({
      sockets: ['/run/docker/plugins', '/var/lib/tscr/plugins'],
      specs: ['/etc/docker/plugins', '/usr/lib/docker/plugins', '/var/lib/tscr/plugins'],
    });
  });

  it('finds NAME.sock, NAME/NAME.sock and a NAME.spec over TCP, and lists them', async () => {
    const a = await plugin({ socketDir: sockets, name: 'tscr-test-a' });
    const b = await plugin({ socketDir: sockets, name: 'tscr-test-b', nested: true, implements: ['NetworkDriver'] });
    const c = await plugin({ specDir: specs, name: 'tscr-test-c', implements: ['authz'] });
    const reg = registry();
    expect((await reg.get('tscr-test-a', 'VolumeDriver')).address).toBe(a.address);
    expect((await reg.get('tscr-test-b', 'NetworkDriver')).address).toBe(b.address);
    expect((await reg.get('tscr-test-c', 'authz')).address).toBe(c.address);
    const list = await reg.list();
    expect(list.map((p) => [p.name, p.healthy, p.implements])).toEqual([
      ['tscr-test-a', true, ['VolumeDriver']],
      ['tscr-test-b', true, ['NetworkDriver']],
      ['tscr-test-c', true, ['authz']],
    ]);
    expect(list[2]?.source).toBe(join(specs, 'tscr-test-c.spec'));
    expect((await reg.list({ kind: 'authz' })).map((p) => p.name)).toEqual(['tscr-test-c']);
  });

  it('prefers a socket to a spec file of the same name', async () => {
    const sock = await plugin({ socketDir: sockets, name: 'tscr-test-both' });
    await plugin({ specDir: specs, name: 'tscr-test-both' });
    expect((await registry().get('tscr-test-both', 'VolumeDriver')).address).toBe(sock.address);
  });

  it('searches tscr’s extra directories after dockerd’s', async () => {
    const extra = join(root, 'own');
    const p = await plugin({ socketDir: extra, name: 'tscr-test-own' });
    const reg = new PluginRegistry({ dirs: { sockets: [sockets], specs: [specs] }, extraDirs: [extra], ...fast });
    expect((await reg.get('tscr-test-own', 'VolumeDriver')).address).toBe(p.address);
  });

  it('reads NAME.json with TLS settings as dockerd (no CA: no verification)', () => {
    const loc = parseSpec(
      'x',
      '/e/x.json',
      JSON.stringify({ Name: 'x', Addr: 'https://127.0.0.1:1', TLSConfig: { CertFile: '/c' } }),
    );
    expect(loc).toEqual({
      name: 'x',
      source: '/e/x.json',
      address: 'https://127.0.0.1:1',
      tls: { insecureSkipVerify: true, certFile: '/c' },
    });
    expect(parseSpec('y', '/e/y.spec', ' unix:///run/y.sock\n').address).toBe('unix:///run/y.sock');
  });

  it('refuses bad names and broken spec files, says NotFound for absent ones', async () => {
    const reg = registry();
    expect(await rejection(reg.get('../etc', 'VolumeDriver'))).toMatchObject({ code: 'InvalidArgument' });
    expect(await rejection(reg.get('tscr-test-none', 'VolumeDriver'))).toMatchObject({ code: 'NotFound' });
    expect(await rejection(reg.inspect('tscr-test-none'))).toMatchObject({ code: 'NotFound' });
    await writeFile(join(specs, 'tscr-test-bad.spec'), 'ftp://nowhere\n');
    expect(await rejection(reg.get('tscr-test-bad', 'VolumeDriver'))).toMatchObject({ code: 'FailedPrecondition' });
    const bad = (await reg.list()).find((p) => p.name === 'tscr-test-bad');
    expect(bad).toMatchObject({ healthy: false, error: expect.stringContaining('unsupported scheme') });
  });
});

describe('activation and calls', () => {
  it('activates with dockerd’s headers and checks the kind', async () => {
    const p = await plugin({
      socketDir: sockets,
      handlers: { 'VolumeDriver.Get': (b) => ({ Volume: { Name: (b as { Name: string }).Name } }) },
    });
    const reg = registry();
    const vd = await reg.get(p.name, 'VolumeDriver');
    expect(vd.implements).toEqual(['VolumeDriver']);
    expect(await vd.call('VolumeDriver.Get', { Name: 'v1' })).toEqual({ Volume: { Name: 'v1' } });
    expect(p.calls[0]).toMatchObject({ method: 'Plugin.Activate', accept: 'application/vnd.docker.plugins.v1.2+json' });
    expect(p.calls[1]).toMatchObject({
      method: 'VolumeDriver.Get',
      contentType: 'application/vnd.docker.plugins.v1.2+json',
    });
    expect(await rejection(reg.get(p.name, 'NetworkDriver'))).toMatchObject({ code: 'FailedPrecondition' });
    // One activation for all of that.
    expect(p.count('Plugin.Activate')).toBe(1);
  });

  it('maps the plugin’s errors: Err → Unknown with its message, 404 → Unimplemented, garbage → Internal', async () => {
    const p = await plugin({
      socketDir: sockets,
      handlers: {
        'VolumeDriver.Create': () => ({ Err: 'disk on fire' }),
        'VolumeDriver.Remove': () => {
          throw new Error('no such volume');
        },
        'VolumeDriver.Path': faults.garbage(),
        'VolumeDriver.Get': () => rawReply(403, 'go away'),
      },
    });
    const vd = await registry().get(p.name, 'VolumeDriver');
    expect(await rejection(vd.call('VolumeDriver.Create', { Name: 'x' }))).toMatchObject({
      code: 'Unknown',
      message: `plugin ${p.name}: VolumeDriver.Create: disk on fire`,
    });
    expect(await rejection(vd.call('VolumeDriver.Remove', {}))).toMatchObject({
      code: 'Unknown',
      details: { status: '500' },
    });
    expect(await rejection(vd.call('VolumeDriver.List'))).toMatchObject({ code: 'Unimplemented' });
    expect(await rejection(vd.call('VolumeDriver.Path', {}))).toMatchObject({ code: 'Internal' });
    expect(await rejection(vd.call('VolumeDriver.Get', {}))).toMatchObject({
      code: 'PermissionDenied',
      message: expect.stringContaining('go away'),
    });
  });

  it('times out a call that hangs, and the plugin still serves others', async () => {
    const p = await plugin({
      socketDir: sockets,
      handlers: { 'VolumeDriver.Mount': faults.hang(), 'VolumeDriver.List': () => ({ Volumes: [] }) },
    });
    const vd = await registry().get(p.name, 'VolumeDriver');
    expect(await rejection(vd.call('VolumeDriver.Mount', {}, { timeoutMs: 150 }))).toMatchObject({
      code: 'DeadlineExceeded',
    });
    expect(await vd.call('VolumeDriver.List')).toEqual({ Volumes: [] });
  });

  it('a call cut mid-way is retried, then Unavailable once the budget is spent', async () => {
    const p = await plugin({ socketDir: sockets, handlers: { 'VolumeDriver.Mount': faults.crash() } });
    const vd = await registry().get(p.name, 'VolumeDriver');
    const err = await rejection(vd.call('VolumeDriver.Mount', { Name: 'x', ID: 'c1' }));
    expect(err).toMatchObject({ code: 'Unavailable', details: { plugin: p.name } });
    // Each retry re-activates first (the plugin may have restarted): at least 2 attempts, bounded.
    expect(p.count('VolumeDriver.Mount')).toBeGreaterThanOrEqual(2);
    expect(p.count('VolumeDriver.Mount')).toBeLessThanOrEqual(6);
    expect(p.count('Plugin.Activate')).toBe(p.count('VolumeDriver.Mount'));
  });

  it('re-activates a plugin that restarted, within the retry budget', async () => {
    const p = await plugin({
      socketDir: sockets,
      handlers: { 'VolumeDriver.List': () => ({ Volumes: [{ Name: 'a' }] }) },
    });
    const vd = await registry({ retryMs: 3_000 }).get(p.name, 'VolumeDriver');
    await p.stop();
    setTimeout(() => void p.start(), 150);
    expect(await vd.call('VolumeDriver.List')).toEqual({ Volumes: [{ Name: 'a' }] });
    expect(p.count('Plugin.Activate')).toBe(2);
  });

  it('finds a TCP plugin again on its new port after a restart (spec file rewritten)', async () => {
    const p = await plugin({ specDir: specs, handlers: { 'VolumeDriver.List': () => ({ Volumes: [] }) } });
    const vd = await registry().get(p.name, 'VolumeDriver');
    const before = vd.address;
    await p.stop();
    await p.start();
    expect(await vd.call('VolumeDriver.List')).toEqual({ Volumes: [] });
    expect(vd.address).toBe(p.address);
    expect(p.count('Plugin.Activate')).toBe(2);
    expect(before).toMatch(/^tcp:\/\/127\.0\.0\.1:\d+$/);
  });

  it('a plugin that is down: Unavailable from get, unhealthy in list', async () => {
    // A spec pointing at a port nothing listens on.
    const srv = createServer();
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const port = (srv.address() as { port: number }).port;
    await new Promise<void>((r) => srv.close(() => r()));
    await writeFile(join(specs, 'tscr-test-down.spec'), `tcp://127.0.0.1:${port}`);
    const reg = registry();
    const started = Date.now();
    expect(await rejection(reg.get('tscr-test-down', 'VolumeDriver'))).toMatchObject({ code: 'Unavailable' });
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(await reg.inspect('tscr-test-down')).toMatchObject({
      healthy: false,
      implements: [],
      error: expect.stringContaining('ECONNREFUSED'),
    });
  });

  it('a cancelled call is Cancelled', async () => {
    const p = await plugin({ socketDir: sockets, handlers: { 'VolumeDriver.Mount': faults.hang() } });
    const vd = await registry().get(p.name, 'VolumeDriver');
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 50);
    expect(await rejection(vd.call('VolumeDriver.Mount', {}, { signal: ac.signal }))).toMatchObject({
      code: 'Cancelled',
    });
  });
});
