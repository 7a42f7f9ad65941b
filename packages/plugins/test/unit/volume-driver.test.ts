import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { PluginRegistry, PluginVolumeRecords, createPluginVolumeDrivers } from '@tscr/plugins/local';
import { type TestPlugin, createTestPlugin, faults, makeTempDir, rejection } from '@tscr/testkit';
import { VolumeRouter } from '@tscr/volume';
import { createLocalVolumeService } from '@tscr/volume/local';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { volumePluginHandlers } from '../fixtures/volume-plugin.js';

let root: string;
let plugin: TestPlugin;
let store: ReturnType<typeof volumePluginHandlers>;

async function router(recordsFile = join(root, 'records.json')) {
  const registry = new PluginRegistry({
    dirs: { sockets: [join(root, 'run')], specs: [] },
    retryMs: 300,
    retryBaseMs: 20,
    timeoutMs: 2_000,
  });
  const records = new PluginVolumeRecords(recordsFile);
  await records.load();
  const drivers = createPluginVolumeDrivers({ registry, records, timeouts: { longMs: 500, shortMs: 500 } });
  return new VolumeRouter({ local: createLocalVolumeService({ root: join(root, 'local') }) }, drivers);
}

beforeEach(async () => {
  root = await makeTempDir('plugin-volumes');
  await mkdir(join(root, 'run'));
  store = volumePluginHandlers(join(root, 'data'));
  plugin = await createTestPlugin({ socketDir: join(root, 'run'), handlers: store.handlers });
});

afterEach(async () => {
  await plugin.close();
  await rm(root, { recursive: true, force: true });
});

describe('VolumeDriver plug-ins behind the volume router', () => {
  it('creates, lists, inspects and removes volumes on the plug-in with the options given', async () => {
    const vols = await router();
    const v = await vols.create('tscr-test-v1', { driver: plugin.name, options: { size: '1g' }, labels: { a: 'b' } });
    expect(v).toMatchObject({ name: 'tscr-test-v1', driver: plugin.name, labels: { a: 'b' }, options: { size: '1g' } });
    expect(plugin.calls.find((c) => c.method === 'VolumeDriver.Create')?.body).toEqual({
      Name: 'tscr-test-v1',
      Opts: { size: '1g' },
    });
    expect((await vols.list()).map((x) => [x.name, x.driver])).toEqual([['tscr-test-v1', plugin.name]]);
    expect(await vols.get('tscr-test-v1')).toMatchObject({
      driver: plugin.name,
      mountpoint: join(root, 'data', 'tscr-test-v1'),
    });
    expect(await rejection(vols.create('tscr-test-v1', { driver: plugin.name }))).toMatchObject({
      code: 'AlreadyExists',
    });
    await vols.remove('tscr-test-v1');
    expect(await rejection(vols.get('tscr-test-v1'))).toMatchObject({ code: 'NotFound' });
    expect(store.volumes.size).toBe(0);
  });

  it('mounts with the container ID on start, unmounts on stop, keeps the data after release', async () => {
    const vols = await router();
    const spec = {
      type: 'volume' as const,
      source: 'tscr-test-data',
      target: '/data',
      options: [`volume-driver=${plugin.name}`],
    };
    const created = await vols.resolveMounts('c1', [spec]);
    expect(created[0]).toMatchObject({ name: 'tscr-test-data', source: '', mountType: 'volume' });
    expect(plugin.count('VolumeDriver.Mount')).toBe(0);
    const started = await vols.resolveMounts('c1', [spec], { start: true });
    expect(started[0]).toMatchObject({ source: join(root, 'data', 'tscr-test-data'), type: 'bind', rw: true });
    expect(plugin.calls.find((c) => c.method === 'VolumeDriver.Mount')?.body).toEqual({
      Name: 'tscr-test-data',
      ID: 'c1',
    });
    expect(store.mounted('tscr-test-data')).toBe(1);
    expect(await rejection(vols.remove('tscr-test-data'))).toMatchObject({ code: 'FailedPrecondition' });
    await vols.unmount('c1');
    expect(store.mounted('tscr-test-data')).toBe(0);
    await vols.release('c1', { removeAnonymous: true });
    expect(store.volumes.has('tscr-test-data')).toBe(true);
    expect(plugin.count('VolumeDriver.Mount')).toBe(plugin.count('VolumeDriver.Unmount'));
  });

  it('inspect shows the scope from Capabilities and the plug-in’s status', async () => {
    plugin.handlers['VolumeDriver.Capabilities'] = () => ({ Capabilities: { Scope: 'global' } });
    plugin.handlers['VolumeDriver.Get'] = (b) => ({
      Volume: { Name: (b as { Name: string }).Name, Mountpoint: '/x', Status: { replicas: 3, state: 'ok' } },
    });
    const vols = await router();
    await vols.create('tscr-test-g', { driver: plugin.name });
    expect(await vols.get('tscr-test-g')).toMatchObject({
      scope: 'global',
      mountpoint: '/x',
      status: { replicas: '3', state: 'ok' },
    });
  });

  it('knows its plug-in volumes after a restart (records file)', async () => {
    await (await router()).create('tscr-test-kept', { driver: plugin.name });
    const again = await router();
    expect(await again.get('tscr-test-kept')).toMatchObject({ driver: plugin.name });
  });

  it('an unknown driver is NotFound, a plug-in of another kind FailedPrecondition', async () => {
    const vols = await router();
    expect(await rejection(vols.create('tscr-test-x', { driver: 'tscr-test-nope' }))).toMatchObject({
      code: 'NotFound',
    });
    const net = await createTestPlugin({ socketDir: join(root, 'run'), implements: ['NetworkDriver'] });
    try {
      expect(await rejection(vols.create('tscr-test-x', { driver: net.name }))).toMatchObject({
        code: 'FailedPrecondition',
      });
    } finally {
      await net.close();
    }
  });

  it('a failed mount undoes the mounts of the same call', async () => {
    const vols = await router();
    plugin.handlers['VolumeDriver.Mount'] = (body) =>
      (body as { Name: string }).Name === 'tscr-test-b'
        ? { Err: 'device busy' }
        : store.handlers['VolumeDriver.Mount']?.(body, undefined as never);
    const opt = [`volume-driver=${plugin.name}`];
    const err = await rejection(
      vols.resolveMounts(
        'c2',
        [
          { type: 'volume', source: 'tscr-test-a', target: '/a', options: opt },
          { type: 'volume', source: 'tscr-test-b', target: '/b', options: opt },
        ],
        { start: true },
      ),
    );
    expect(err).toMatchObject({ code: 'Unknown', message: expect.stringContaining('device busy') });
    expect(store.mounted('tscr-test-a')).toBe(0);
    expect(plugin.count('VolumeDriver.Unmount')).toBe(1);
  });

  it('a hanging Mount times out; a crashing one is Unavailable; nothing stays mounted', async () => {
    const vols = await router();
    const spec = {
      type: 'volume' as const,
      source: 'tscr-test-h',
      target: '/h',
      options: [`volume-driver=${plugin.name}`],
    };
    plugin.handlers['VolumeDriver.Mount'] = faults.hang();
    expect(await rejection(vols.resolveMounts('c3', [spec], { start: true }))).toMatchObject({
      code: 'DeadlineExceeded',
    });
    plugin.handlers['VolumeDriver.Mount'] = faults.crash();
    expect(await rejection(vols.resolveMounts('c3', [spec], { start: true }))).toMatchObject({ code: 'Unavailable' });
    expect(store.mounted('tscr-test-h')).toBe(0);
    // The daemon's other volumes still work.
    await vols.create('tscr-test-local');
    expect((await vols.list()).map((v) => v.name).sort()).toEqual(['tscr-test-h', 'tscr-test-local']);
  });
});
