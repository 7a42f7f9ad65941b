import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TscrError, errorCode, isFailedPrecondition, isInvalidArgument } from '@tscr/api';
import { LocalIpamAllocator, PluginIpamAllocator, type PluginTransport } from '@tscr/network/local';
import { makeTempDir, rejection } from '@tscr/testkit';

describe('LocalIpamAllocator', () => {
  it('hands out the asked subnet, its gateway and free addresses, and keeps them across instances', async () => {
    const dir = await makeTempDir('ipam-alloc');
    try {
      const file = join(dir, 'ipam.json');
      const a = new LocalIpamAllocator({ file, pool: '10.213.0.0/16', poolSize: 24 });
      const p = await a.requestPool({ pool: '10.213.7.0/24', subPool: '10.213.7.128/25', options: {} });
      expect(p).toMatchObject({ pool: '10.213.7.0/24', addressSpace: 'LocalDefault' });
      expect(await a.requestAddress(p.poolId, { gateway: true })).toBe('10.213.7.1/24');
      expect(await a.requestAddress(p.poolId, {})).toBe('10.213.7.128/24');
      const b = new LocalIpamAllocator({ file, pool: '10.213.0.0/16', poolSize: 24 });
      expect(await b.requestAddress(p.poolId, {})).toBe('10.213.7.129/24');
      expect(isFailedPrecondition(await rejection(b.requestAddress(p.poolId, { address: '10.213.7.129' })))).toBe(true);
      await b.releaseAddress(p.poolId, '10.213.7.128');
      expect(await b.requestAddress(p.poolId, {})).toBe('10.213.7.128/24');
      expect(isInvalidArgument(await rejection(b.requestPool({ pool: '10.213.7.0/25', options: {} })))).toBe(true);
      const q = await b.requestPool({ options: {} });
      expect(q.pool).toMatch(/^10\.213\.\d+\.0\/24$/);
      expect(q.pool).not.toBe('10.213.7.0/24');
      await b.releasePool(p.poolId);
      expect((await b.requestPool({ pool: '10.213.7.0/24', options: {} })).pool).toBe('10.213.7.0/24');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

function fakePlugin(answers: Record<string, unknown>): PluginTransport & { sent: Array<[string, unknown]> } {
  const sent: Array<[string, unknown]> = [];
  return {
    name: 'ipam-x',
    sent,
    async call<T>(method: string, body?: unknown): Promise<T> {
      sent.push([method, body]);
      const a = answers[method];
      if (a instanceof TscrError) throw a;
      return a as T;
    },
  };
}

describe('PluginIpamAllocator', () => {
  it("speaks libnetwork's IpamDriver calls", async () => {
    const p = fakePlugin({
      'IpamDriver.GetDefaultAddressSpaces': { LocalDefaultAddressSpace: 'lspace', GlobalDefaultAddressSpace: 'g' },
      'IpamDriver.RequestPool': { PoolID: 'pool-1', Pool: '10.77.0.0/24', Data: { k: 'v' } },
      'IpamDriver.RequestAddress': { Address: '10.77.0.1/24' },
      'IpamDriver.ReleaseAddress': {},
      'IpamDriver.ReleasePool': {},
    });
    const a = new PluginIpamAllocator(p);
    expect(a.name).toBe('ipam-x');
    const pool = await a.requestPool({ subPool: '10.77.0.128/25', options: { o: '1' } });
    expect(pool).toEqual({ poolId: 'pool-1', pool: '10.77.0.0/24', addressSpace: 'lspace', data: { k: 'v' } });
    expect(await a.requestAddress('pool-1', { gateway: true })).toBe('10.77.0.1/24');
    await a.releaseAddress('pool-1', '10.77.0.1');
    await a.releasePool('pool-1');
    expect(p.sent).toEqual([
      ['IpamDriver.GetDefaultAddressSpaces', {}],
      [
        'IpamDriver.RequestPool',
        { AddressSpace: 'lspace', Pool: '', SubPool: '10.77.0.128/25', Options: { o: '1' }, V6: false },
      ],
      [
        'IpamDriver.RequestAddress',
        { PoolID: 'pool-1', Address: '', Options: { RequestAddressType: 'com.docker.network.gateway' } },
      ],
      ['IpamDriver.ReleaseAddress', { PoolID: 'pool-1', Address: '10.77.0.1' }],
      ['IpamDriver.ReleasePool', { PoolID: 'pool-1' }],
    ]);
  });

  it('turns answers it cannot use into Internal errors, and gives a bad pool back', async () => {
    const p = fakePlugin({
      'IpamDriver.GetDefaultAddressSpaces': { LocalDefaultAddressSpace: 's' },
      'IpamDriver.RequestPool': { PoolID: 'p', Pool: 'not-a-cidr' },
      'IpamDriver.RequestAddress': { Address: '10.0.0.300/24' },
      'IpamDriver.ReleasePool': {},
    });
    const a = new PluginIpamAllocator(p);
    const err = await rejection(a.requestPool({ options: {} }));
    expect(errorCode(err)).toBe('Internal');
    expect(err.message).toContain('ipam-x');
    expect(p.sent.map((s) => s[0])).toContain('IpamDriver.ReleasePool');
    expect(errorCode(await rejection(a.requestAddress('p', {})))).toBe('Internal');
  });
});
