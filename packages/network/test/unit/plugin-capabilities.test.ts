import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TscrError, isFailedPrecondition, notFound } from '@tscr/api';
import { PluginNetworkService, type PluginResolver, type PluginTransport } from '@tscr/network/local';
import { makeTempDir, rejection } from '@tscr/testkit';
import { endpointOperInfo } from '../../src/local/plugin-capabilities.js';
import { PluginIpamAllocator } from '../../src/local/ipam-allocator.js';
import { joinEndpoint } from '../../src/local/plugin-endpoint.js';
import type { PluginNetworkRecord } from '../../src/local/plugin-state.js';

type Answer = unknown | ((body: unknown) => unknown);

/** A plugin answering from a table (a TscrError is thrown; a function gets the body); it keeps what it was sent. */
function fake(name: string, answers: Record<string, Answer>) {
  const sent: Array<{ method: string; body: unknown }> = [];
  const p: PluginTransport = {
    name,
    async call<T>(method: string, body?: unknown): Promise<T> {
      sent.push({ method, body });
      const a = answers[method];
      if (a instanceof TscrError) throw a;
      if (a === undefined) throw new TscrError('NotFound', `${method}: 404`);
      return (typeof a === 'function' ? (a as (b: unknown) => unknown)(body) : a) as T;
    },
  };
  return { p, sent, bodies: (m: string) => sent.filter((s) => s.method === m).map((s) => s.body) };
}

const IPAM = {
  'IpamDriver.GetDefaultAddressSpaces': { LocalDefaultAddressSpace: 'l' },
  'IpamDriver.RequestPool': { PoolID: 'p1', Pool: '10.66.0.0/24' },
  'IpamDriver.RequestAddress': { Address: '10.66.0.1/24' },
  'IpamDriver.ReleaseAddress': {},
  'IpamDriver.ReleasePool': {},
};

async function service(netAnswers: Record<string, Answer>) {
  const dir = await makeTempDir('plugin-caps');
  const net = fake('tscr-test-netp', { 'NetworkDriver.CreateNetwork': {}, ...netAnswers });
  const resolve: PluginResolver = async (n) => {
    if (n !== net.p.name) throw notFound(`plugin ${n} not found`);
    return net.p;
  };
  const svc = new PluginNetworkService({ root: dir, runDir: join(dir, 'netns'), resolve, logger: () => undefined });
  return { svc, net, dir, resolve, close: () => rm(dir, { recursive: true, force: true }) };
}

describe('network plugin capabilities', () => {
  it('keeps a global-scope driver as dockerd without swarm does: the network shows Scope global, kept on disk', async () => {
    const fx = await service({ 'NetworkDriver.GetCapabilities': { Scope: 'global', ConnectivityScope: 'global' } });
    try {
      const n = await fx.svc.create('tscr-test-pg', { driver: fx.net.p.name, subnet: '10.213.8.0/24' });
      expect(n.scope).toBe('global');
      expect(fx.net.bodies('NetworkDriver.GetCapabilities')).toHaveLength(1);
      const again = new PluginNetworkService({ root: fx.dir, runDir: join(fx.dir, 'netns'), resolve: fx.resolve });
      expect((await again.list()).map((x) => [x.name, x.scope])).toEqual([['tscr-test-pg', 'global']]);
    } finally {
      await fx.close();
    }
  });

  it('takes a driver without GetCapabilities as local, and refuses one that answers an unknown scope', async () => {
    const none = await service({});
    try {
      expect((await none.svc.create('tscr-test-pl', { driver: none.net.p.name })).scope).toBe('local');
    } finally {
      await none.close();
    }
    const bad = await service({ 'NetworkDriver.GetCapabilities': { Scope: 'cluster' } });
    try {
      const err = await rejection(bad.svc.create('tscr-test-pb', { driver: bad.net.p.name }));
      expect(isFailedPrecondition(err)).toBe(true);
      expect(err.message).toContain('invalid capability');
      expect(err.message).toContain('"cluster"');
      expect(bad.net.bodies('NetworkDriver.CreateNetwork')).toHaveLength(0);
      expect(await bad.svc.list()).toEqual([]);
    } finally {
      await bad.close();
    }
  });
});

describe('EndpointOperInfo', () => {
  const ids = { NetworkID: 'n'.repeat(64), EndpointID: 'e'.repeat(64) };

  it("asks with the network's and endpoint's IDs and gives the Value map, other values as JSON", async () => {
    const f = fake('tscr-test-netp', {
      'NetworkDriver.EndpointOperInfo': { Value: { 'tscr-test.port': '80', vlan: 7, tags: ['a'] } },
    });
    expect(await endpointOperInfo(f.p, ids, () => undefined)).toEqual({
      'tscr-test.port': '80',
      vlan: '7',
      tags: '["a"]',
    });
    expect(f.bodies('NetworkDriver.EndpointOperInfo')).toEqual([ids]);
  });

  it('is best effort: a plugin without it, with an empty answer, or failing gives nothing; a failure is logged', async () => {
    const logged: string[] = [];
    const log = (m: string) => logged.push(m);
    expect(await endpointOperInfo(fake('a', {}).p, ids, log)).toBeUndefined();
    const empty = fake('b', { 'NetworkDriver.EndpointOperInfo': { Value: null } });
    expect(await endpointOperInfo(empty.p, ids, log)).toBeUndefined();
    expect(logged).toEqual([]);
    const down = fake('c', { 'NetworkDriver.EndpointOperInfo': new TscrError('Unavailable', 'tscr-test: down') });
    expect(await endpointOperInfo(down.p, ids, log)).toBeUndefined();
    expect(logged).toEqual([expect.stringContaining('EndpointOperInfo of endpoint eeeeeeeeeeee: tscr-test: down')]);
  });
});

describe('IPAM plugin RequiresMACAddress', () => {
  const net: PluginNetworkRecord = {
    id: 'n'.repeat(64),
    name: 'tscr-test-pm',
    driver: 'tscr-test-netp',
    ipamDriver: 'tscr-test-ipamp',
    ipamOptions: {},
    created: '',
    labels: {},
    options: {},
    internal: false,
    pool: { poolId: 'p1', pool: '10.66.0.0/24', addressSpace: 'l', data: {} },
    gateway: '10.66.0.1/24',
  };
  const join = (ipam: PluginIpamAllocator, plugin: PluginTransport) =>
    joinEndpoint({
      plugin,
      ipam,
      net,
      netns: '/nonexistent/tscr-test',
      taken: new Set(),
      routed: true,
      aliases: [],
      ports: [],
      logger: () => undefined,
    });

  it("passes the endpoint's MAC in RequestAddress and CreateEndpoint when the IPAM plugin needs it", async () => {
    const ipam = fake('tscr-test-ipamp', {
      ...IPAM,
      'IpamDriver.GetCapabilities': { RequiresMACAddress: true, RequiresRequestReplay: false },
    });
    const plugin = fake('tscr-test-netp', {
      'NetworkDriver.CreateEndpoint': { Interface: { MacAddress: '02:00:00:00:00:99' } },
      'NetworkDriver.Join': new TscrError('Unknown', 'tscr-test: stop here'),
      'NetworkDriver.DeleteEndpoint': {},
    });
    const alloc = new PluginIpamAllocator(ipam.p);
    expect((await rejection(join(alloc, plugin.p))).message).toBe('tscr-test: stop here');
    const [req] = ipam.bodies('IpamDriver.RequestAddress') as Array<{ Options: Record<string, string> }>;
    const mac = req?.Options['com.docker.network.endpoint.macaddress'] ?? '';
    expect(mac).toMatch(/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/);
    expect(Number.parseInt(mac.slice(0, 2), 16) & 0x03).toBe(0x02); // locally administered, unicast
    expect(plugin.bodies('NetworkDriver.CreateEndpoint')).toEqual([
      expect.objectContaining({ Interface: { Address: '10.66.0.1/24', AddressIPv6: '', MacAddress: mac } }),
    ]);
    // Undone: DeleteEndpoint, ReleaseAddress. Capabilities were asked once.
    expect(plugin.bodies('NetworkDriver.DeleteEndpoint')).toHaveLength(1);
    expect(ipam.bodies('IpamDriver.ReleaseAddress')).toHaveLength(1);
    await rejection(join(alloc, plugin.p));
    expect(ipam.bodies('IpamDriver.GetCapabilities')).toHaveLength(1);
  });

  it('sends no MAC to an IPAM plugin that does not need one (or has no GetCapabilities)', async () => {
    for (const caps of [{ 'IpamDriver.GetCapabilities': { RequiresMACAddress: false } }, {}]) {
      const ipam = fake('tscr-test-ipamp', { ...IPAM, ...caps });
      const plugin = fake('tscr-test-netp', { 'NetworkDriver.CreateEndpoint': new TscrError('Unknown', 'no') });
      await rejection(join(new PluginIpamAllocator(ipam.p), plugin.p));
      expect(ipam.bodies('IpamDriver.RequestAddress')).toEqual([{ PoolID: 'p1', Address: '', Options: {} }]);
      expect(plugin.bodies('NetworkDriver.CreateEndpoint')).toEqual([
        expect.objectContaining({ Interface: { Address: '10.66.0.1/24', AddressIPv6: '', MacAddress: '' } }),
      ]);
    }
  });
});

describe('IPAM plugin RequiresRequestReplay', () => {
  it('asks the plugin again for pool and gateway after a restart, and keeps the new PoolID', async () => {
    for (const replay of [true, false]) {
      const dir = await makeTempDir('plugin-replay');
      try {
        let pools = 0;
        const ipam = fake('tscr-test-ipamp', {
          ...IPAM,
          'IpamDriver.GetCapabilities': { RequiresRequestReplay: replay },
          'IpamDriver.RequestPool': () => ({ PoolID: `p${++pools}`, Pool: '10.66.0.0/24' }),
        });
        const net = fake('tscr-test-netp', { 'NetworkDriver.CreateNetwork': {}, 'NetworkDriver.DeleteNetwork': {} });
        const resolve: PluginResolver = async (n) => (n === net.p.name ? net.p : ipam.p);
        const o = { root: dir, runDir: join(dir, 'netns'), resolve, logger: () => undefined };
        const first = new PluginNetworkService(o);
        await first.create('tscr-test-pr', { driver: net.p.name, ipamDriver: ipam.p.name, ipamOptions: { k: 'v' } });
        await first.shutdown();
        const before = ipam.sent.length;
        const again = new PluginNetworkService(o);
        await again.list();
        await again.shutdown(); // waits for the background work of init
        const replayed = ipam.sent.slice(before);
        if (!replay) {
          expect(replayed.map((s) => s.method)).toEqual(['IpamDriver.GetCapabilities']);
          continue;
        }
        expect(replayed.filter((s) => s.method.startsWith('IpamDriver.Request'))).toEqual([
          {
            method: 'IpamDriver.RequestPool',
            body: expect.objectContaining({ Pool: '10.66.0.0/24', Options: { k: 'v' } }),
          },
          {
            method: 'IpamDriver.RequestAddress',
            body: { PoolID: 'p2', Address: '10.66.0.1', Options: { RequestAddressType: 'com.docker.network.gateway' } },
          },
        ]);
        // The new PoolID is kept (on disk too): the next start replays again (p3), and a removal, which waits
        // for the replay, gives p3 back.
        expect(JSON.parse(await readFile(join(dir, 'plugin-networks.json'), 'utf8')).networks[0].pool.poolId).toBe(
          'p2',
        );
        await new PluginNetworkService(o).remove('tscr-test-pr');
        expect(ipam.bodies('IpamDriver.ReleasePool')).toEqual([{ PoolID: 'p3' }]);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    }
  });
});
