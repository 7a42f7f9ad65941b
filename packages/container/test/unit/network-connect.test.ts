import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isFailedPrecondition, isInvalidArgument, isNotFound } from '@tscr/api';
import { rejection } from '@tscr/testkit';
import { fakeStack, type FakeStack } from '../fixtures/harness.js';

let s: FakeStack;
beforeEach(async () => {
  s = await fakeStack();
});
afterEach(async () => {
  await s.cleanup();
});

const create = async (networkMode?: string) =>
  (
    await s.service.create({
      config: { image: 'busybox:test', cmd: ['sleep', '100'] },
      hostConfig: networkMode ? { networkMode } : {},
    })
  ).id;

describe('LocalContainerService: network connect and disconnect', () => {
  it('keeps a connection made while stopped in the configuration, for the next start', async () => {
    const id = await create();
    await s.service.connectNetwork(id, 'extra', { aliases: ['db'], ip: '10.9.0.7' });
    expect(s.networks.calls).toEqual([]);
    const info = await s.service.inspect(id);
    expect(info.networkSettings?.networks.extra).toEqual({ aliases: ['db'], ipamConfig: { ipv4Address: '10.9.0.7' } });
    // after a daemon restart too
    expect((await s.restart().inspect(id)).networkSettings?.networks.extra?.aliases).toEqual(['db']);
  });

  it('connects a running container at once and disconnects it, for now and later', async () => {
    const id = await create();
    await s.service.start(id);
    await s.service.connectNetwork(id, 'extra');
    await s.service.disconnectNetwork(id, 'extra');
    expect(s.networks.calls).toEqual([
      [id, 'extra', 'connect'],
      [id, 'extra', 'disconnect'],
    ]);
    expect((await s.service.inspect(id)).networkSettings?.networks.extra).toBeUndefined();
  });

  it('leaving the only network leaves network none; a stopped container then joins another as its mode', async () => {
    const id = await create('bridge');
    await s.service.disconnectNetwork(id, 'bridge');
    expect((await s.service.inspect(id)).hostConfig.networkMode).toBe('none');
    await s.service.connectNetwork(id, 'extra', { aliases: ['x'] });
    const info = await s.service.inspect(id);
    expect(info.hostConfig.networkMode).toBe('extra');
    expect(info.networkSettings?.networks.extra?.aliases).toEqual(['x']);
  });

  it('a running container that leaves its only network keeps its mode and can join it again', async () => {
    const id = await create('bridge');
    await s.service.start(id);
    await s.service.disconnectNetwork(id, 'bridge');
    expect((await s.service.inspect(id)).hostConfig.networkMode).toBe('bridge');
    expect(s.networks.live.get(id)?.size).toBe(0);
    expect(isFailedPrecondition(await rejection(s.service.disconnectNetwork(id, 'bridge')))).toBe(true);
    await s.service.connectNetwork(id, 'bridge');
    expect([...(s.networks.live.get(id) ?? [])]).toEqual(['bridge']);
    expect(isFailedPrecondition(await rejection(s.service.connectNetwork(id, 'bridge')))).toBe(true);
    // Leaving it again and joining another network makes that one the mode.
    await s.service.disconnectNetwork(id, 'bridge');
    await s.service.connectNetwork(id, 'extra');
    expect((await s.service.inspect(id)).hostConfig.networkMode).toBe('extra');
  });

  it('refuses what Docker refuses', async () => {
    const id = await create();
    expect(isNotFound(await rejection(s.service.connectNetwork(id, 'tscr-test-nonexistent')))).toBe(true);
    expect(isNotFound(await rejection(s.service.connectNetwork('tscr-test-nobody', 'extra')))).toBe(true);
    expect(isInvalidArgument(await rejection(s.service.connectNetwork(id, 'extra', { ip: '10.0.0.300' })))).toBe(true);
    await s.service.connectNetwork(id, 'extra');
    expect(isFailedPrecondition(await rejection(s.service.connectNetwork(id, 'extra')))).toBe(true);
    expect(isFailedPrecondition(await rejection(s.service.connectNetwork(id, 'bridge')))).toBe(true);
    const onHost = await create('host');
    expect(isFailedPrecondition(await rejection(s.service.connectNetwork(onHost, 'extra')))).toBe(true);
    expect(isFailedPrecondition(await rejection(s.service.disconnectNetwork(onHost, 'host')))).toBe(true);
    const other = await create();
    expect(isFailedPrecondition(await rejection(s.service.disconnectNetwork(other, 'extra')))).toBe(true);
  });
});
