import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TscrError, isFailedPrecondition, isNotFound, notFound } from '@tscr/api';
import { PluginNetworkService, type PluginResolver, type PluginTransport } from '@tscr/network/local';
import { makeTempDir, rejection } from '@tscr/testkit';

/** A plugin answering from a table; a TscrError in the table is thrown. */
function fake(name: string, answers: Record<string, unknown>): PluginTransport & { sent: string[] } {
  const sent: string[] = [];
  return {
    name,
    sent,
    async call<T>(method: string): Promise<T> {
      sent.push(method);
      const a = answers[method];
      if (a instanceof TscrError) throw a;
      if (a === undefined) throw new TscrError('Unimplemented', `${method}: not implemented`);
      return a as T;
    },
  };
}

async function setup(netAnswers: Record<string, unknown>) {
  const dir = await makeTempDir('plugin-nets');
  const net = fake('tscr-test-netp', { 'NetworkDriver.GetCapabilities': { Scope: 'local' }, ...netAnswers });
  const ipam = fake('tscr-test-ipamp', {
    'IpamDriver.GetDefaultAddressSpaces': { LocalDefaultAddressSpace: 'l' },
    'IpamDriver.RequestPool': { PoolID: 'p1', Pool: '10.66.0.0/24' },
    'IpamDriver.RequestAddress': { Address: '10.66.0.1/24' },
    'IpamDriver.ReleaseAddress': {},
    'IpamDriver.ReleasePool': {},
  });
  const plugins = new Map([net, ipam].map((p) => [p.name, p]));
  const resolve: PluginResolver = async (n) => {
    const p = plugins.get(n);
    if (!p) throw notFound(`plugin ${n} not found`);
    return p;
  };
  const svc = new PluginNetworkService({ root: dir, runDir: join(dir, 'netns'), resolve, logger: () => undefined });
  return { svc, net, ipam, dir, resolve, close: () => rm(dir, { recursive: true, force: true }) };
}

describe('PluginNetworkService (networks; endpoints run in the e2e test)', () => {
  it('creates a network through the IPAM and network plugins, keeps it, and removes it through them', async () => {
    const fx = await setup({ 'NetworkDriver.CreateNetwork': {}, 'NetworkDriver.DeleteNetwork': {} });
    try {
      const n = await fx.svc.create('tscr-test-pn', { driver: fx.net.name, ipamDriver: fx.ipam.name });
      expect(n).toMatchObject({ driver: fx.net.name, ipamDriver: fx.ipam.name });
      expect(n.ipam).toEqual([{ subnet: '10.66.0.0/24', gateway: '10.66.0.1' }]);
      expect(fx.net.sent).toContain('NetworkDriver.CreateNetwork');
      // Kept on disk: a new instance lists it without asking any plugin.
      const again = new PluginNetworkService({
        root: fx.dir,
        runDir: join(fx.dir, 'netns'),
        resolve: async () => {
          throw new TscrError('Unavailable', 'no plugins now');
        },
      });
      expect((await again.list()).map((x) => x.name)).toEqual(['tscr-test-pn']);
      await fx.svc.remove('tscr-test-pn');
      expect(fx.net.sent).toContain('NetworkDriver.DeleteNetwork');
      expect(fx.ipam.sent.slice(-2)).toEqual(['IpamDriver.ReleaseAddress', 'IpamDriver.ReleasePool']);
      expect(isNotFound(await rejection(fx.svc.get('tscr-test-pn')))).toBe(true);
    } finally {
      await fx.close();
    }
  });

  it('tells the plugins about endpoints of a container that died while the daemon was down', async () => {
    const fx = await setup({
      'NetworkDriver.CreateNetwork': {},
      'NetworkDriver.Leave': {},
      'NetworkDriver.DeleteEndpoint': {},
    });
    try {
      const n = await fx.svc.create('tscr-test-pn', { driver: fx.net.name, ipamDriver: fx.ipam.name });
      // A record as a start leaves it; its namespace (never mounted here) is gone.
      const file = join(fx.dir, 'plugin-networks.json');
      const state = JSON.parse(await readFile(file, 'utf8'));
      const ep = { networkId: n.id, endpointId: 'e'.repeat(64), address: '10.66.0.7/24', mac: '', ifname: 'eth0' };
      state.attachments.c1 = {
        containerId: 'c1',
        name: 'c1',
        kind: 'own',
        netns: join(fx.dir, 'netns', 'c1'),
        endpoints: [{ ...ep, gateway: '', aliases: [], staticIp: false, external: false }],
        ports: [],
      };
      await writeFile(file, JSON.stringify(state));
      const again = new PluginNetworkService({
        root: fx.dir,
        runDir: join(fx.dir, 'netns'),
        resolve: fx.resolve,
        logger: () => undefined,
      });
      expect(await again.attachment('c1')).toBeUndefined();
      await again.shutdown();
      expect(fx.net.sent).toEqual(expect.arrayContaining(['NetworkDriver.Leave', 'NetworkDriver.DeleteEndpoint']));
      // (then GetCapabilities: whether it wants its requests replayed; it has no such method)
      expect(fx.ipam.sent.slice(-2)).toEqual(['IpamDriver.ReleaseAddress', 'IpamDriver.GetCapabilities']);
    } finally {
      await fx.close();
    }
  });

  it('gives the pool back when the network plugin refuses the network', async () => {
    const fx = await setup({ 'NetworkDriver.CreateNetwork': new TscrError('Unknown', 'tscr-test: no') });
    try {
      const err = await rejection(fx.svc.create('tscr-test-pn', { driver: fx.net.name, ipamDriver: fx.ipam.name }));
      expect(err.message).toBe('tscr-test: no');
      expect(fx.ipam.sent.slice(-2)).toEqual(['IpamDriver.ReleaseAddress', 'IpamDriver.ReleasePool']);
      expect(await fx.svc.list()).toEqual([]);
    } finally {
      await fx.close();
    }
  });

  it('raises NotFound for a plugin nobody serves, and keeps a network whose DeleteNetwork fails', async () => {
    const fx = await setup({
      'NetworkDriver.CreateNetwork': {},
      'NetworkDriver.DeleteNetwork': new TscrError('Unavailable', 'gone'),
    });
    try {
      expect(isNotFound(await rejection(fx.svc.create('tscr-test-x', { driver: 'tscr-test-nobody' })))).toBe(true);
      await fx.svc.create('tscr-test-pn', { driver: fx.net.name, subnet: '10.213.9.0/24' });
      expect((await fx.svc.get('tscr-test-pn')).ipam[0]).toMatchObject({
        subnet: '10.213.9.0/24',
        gateway: '10.213.9.1',
      });
      expect((await rejection(fx.svc.remove('tscr-test-pn'))).code).toBe('Unavailable');
      expect((await fx.svc.list()).map((n) => n.name)).toEqual(['tscr-test-pn']);
      expect(isFailedPrecondition(await rejection(fx.svc.connect('c1', 'tscr-test-pn')))).toBe(true);
    } finally {
      await fx.close();
    }
  });
});
