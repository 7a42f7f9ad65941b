/**
 * Docker network and IPAM plugins end to end: two plugins written here (Node HTTP servers on UNIX sockets in a
 * temporary plugin directory given to a real `tscrd` with `--plugin-dir`) speak libnetwork's remote driver API.
 * The network plugin makes a bridge and, on each Join, a veth pair of its own with `ip`; the IPAM plugin hands
 * out addresses from its pool. Two containers on the plugin network get the plugin's veths and addresses and
 * one reaches the other. Faults (garbage, a cut connection, a hang, a restart) give clear errors, leave no
 * link or namespace behind, and the daemon keeps serving. Root only.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestPlugin, busyboxRootfsDir, createTestPlugin, faults, rawReply, uniqueName } from '@tscr/testkit';
import { E2eDaemon, e2eSkipReason, mountsUnder, type Result, runCliAsync } from '../fixtures/e2e.js';

const skip = e2eSkipReason() ?? (spawnSync('ip', ['-V']).status === 0 ? undefined : 'needs iproute2');

const ip = (...args: string[]) => execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });

/** Host interfaces whose name starts with `prefix`. */
function linksWith(prefix: string): string[] {
  return spawnSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' })
    .stdout.split('\n')
    .map((l) => l.split(': ')[1]?.split('@')[0] ?? '')
    .filter((n) => n.startsWith(prefix));
}

interface Joined {
  host: string;
  container: string;
}

describe.skipIf(skip)('Docker network + IPAM plugins (remote driver API)', () => {
  let d: E2eDaemon;
  let net: TestPlugin;
  let ipam: TestPlugin;
  const tag = randomBytes(2).toString('hex').slice(0, 3);
  // Every host object of this test starts with `tscr-test<tag>` (15 characters at most).
  const ours = `tscr-test${tag}`;
  const bridge = `${ours}br`;
  const octet = 100 + (randomBytes(1)[0]! % 100);
  const subnet = `10.${octet}.5.0/24`;
  const gateway = `10.${octet}.5.1`;
  const image = `${uniqueName('npimg')}:test`;
  const network = uniqueName('plugnet');
  const endpoints = new Map<string, Joined>();
  /** The plugin's bridge per network ID. */
  const bridges = new Map<string, string>();
  const leased = new Set<string>();
  /** The MAC each address was asked for with (the IPAM plugin requires MACs). */
  const macs = new Map<string, string>();
  let joins = 0;
  let firstNetwork = '';

  const cli = (args: string[]): Promise<Result> => runCliAsync(args, d.env());
  /** The Docker CLI against the daemon's Docker API socket, without blocking the plugins in this process. */
  const docker = (args: string[]): Promise<Result> =>
    new Promise((resolve) => {
      const env = { ...process.env, DOCKER_HOST: `unix://${join(d.dir, 'exec', 'docker.sock')}`, DOCKER_CONTEXT: '' };
      const child = spawn('docker', args, { env });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
      child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
  const ok = async (args: string[]): Promise<string> => {
    const r = await cli(args);
    expect(r.stderr, `tscr ${args.join(' ')}`).toBe('');
    expect(r.code).toBe(0);
    return r.stdout;
  };
  /** Nothing of a failed start is left: only the bridge and the endpoints the plugin still has. */
  const expectNoLeak = async (runningEndpoints: number) => {
    expect(linksWith(ours).sort()).toEqual([...bridges.values(), ...[...endpoints.values()].map((e) => e.host)].sort());
    expect(endpoints.size).toBe(runningEndpoints);
    expect(leased.size).toBe(runningEndpoints);
    expect(mountsUnder(join(d.dir, 'exec', 'netns-plugins')).length).toBe(runningEndpoints);
    expect((await cli(['network', 'ls'])).code).toBe(0); // still serving
  };

  const netHandlers = {
    // Global scope: dockerd without swarm keeps such networks on this host and shows the scope; so does tscr.
    'NetworkDriver.GetCapabilities': () => ({ Scope: 'global', ConnectivityScope: 'global' }),
    'NetworkDriver.DiscoverNew': () => ({}),
    'NetworkDriver.DiscoverDelete': () => ({}),
    'NetworkDriver.CreateNetwork': (b: unknown) => {
      const body = b as { NetworkID: string; IPv4Data: Array<{ Gateway: string; Pool: string }> };
      const br = bridges.size === 0 ? bridge : `${ours}b${bridges.size}`;
      ip('link', 'add', 'name', br, 'type', 'bridge');
      ip('addr', 'add', body.IPv4Data[0]!.Gateway, 'dev', br);
      ip('link', 'set', br, 'up');
      bridges.set(body.NetworkID, br);
      return {};
    },
    'NetworkDriver.DeleteNetwork': (b: unknown) => {
      const id = (b as { NetworkID: string }).NetworkID;
      ip('link', 'del', bridges.get(id) ?? 'none');
      bridges.delete(id);
      return {};
    },
    'NetworkDriver.CreateEndpoint': () => ({}),
    'NetworkDriver.Join': (b: unknown) => {
      const { EndpointID, NetworkID } = b as { EndpointID: string; NetworkID: string };
      const n = (joins++).toString(36);
      const e = { host: `${ours}h${n}`, container: `${ours}c${n}` };
      ip('link', 'add', e.host, 'type', 'veth', 'peer', 'name', e.container);
      ip('link', 'set', e.host, 'master', bridges.get(NetworkID) ?? 'none', 'up');
      endpoints.set(EndpointID, e);
      if (NetworkID !== firstNetwork) return { InterfaceName: { SrcName: e.container, DstPrefix: 'eth' } };
      return {
        InterfaceName: { SrcName: e.container, DstPrefix: 'eth' },
        Gateway: gateway,
        StaticRoutes: [{ Destination: '198.51.100.0/24', RouteType: 0, NextHop: gateway }],
      };
    },
    'NetworkDriver.EndpointOperInfo': (b: unknown) => ({
      Value: { 'tscr-test.host-veth': endpoints.get((b as { EndpointID: string }).EndpointID)?.host ?? '', port: 80 },
    }),
    'NetworkDriver.ProgramExternalConnectivity': () => ({}),
    'NetworkDriver.RevokeExternalConnectivity': () => ({}),
    'NetworkDriver.Leave': (b: unknown) => {
      const e = endpoints.get((b as { EndpointID: string }).EndpointID);
      if (e) spawnSync('ip', ['link', 'del', e.host]);
      return {};
    },
    'NetworkDriver.DeleteEndpoint': (b: unknown) => {
      endpoints.delete((b as { EndpointID: string }).EndpointID);
      return {};
    },
  };

  beforeAll(async () => {
    d = await E2eDaemon.create('netplugin');
    const pluginDir = join(d.dir, 'plugins');
    await mkdir(pluginDir, { recursive: true });
    net = await createTestPlugin({
      name: `tscr-test-net${tag}`,
      implements: ['NetworkDriver'],
      socketDir: pluginDir,
      handlers: netHandlers,
    });
    ipam = await createTestPlugin({
      name: `tscr-test-ipam${tag}`,
      implements: ['IpamDriver'],
      socketDir: pluginDir,
      handlers: {
        'IpamDriver.GetCapabilities': () => ({ RequiresMACAddress: true, RequiresRequestReplay: true }),
        'IpamDriver.GetDefaultAddressSpaces': () => ({
          LocalDefaultAddressSpace: 'tscrtest',
          GlobalDefaultAddressSpace: 'tscrtest-global',
        }),
        // Its pool is `subnet` unless one is asked for (a.b.c.0/24 only); gateway .1, addresses from .100.
        'IpamDriver.RequestPool': (b: unknown) => {
          expect(b).toMatchObject({ AddressSpace: 'tscrtest', V6: false });
          const pool = (b as { Pool: string }).Pool || subnet;
          return { PoolID: `tscrtest/${pool}`, Pool: pool, Data: {} };
        },
        'IpamDriver.ReleasePool': () => ({}),
        'IpamDriver.RequestAddress': (b: unknown) => {
          const { PoolID, Address, Options } = b as {
            PoolID: string;
            Address: string;
            Options: Record<string, string>;
          };
          const net24 = PoolID.split('/')[1]!.split('.').slice(0, 3).join('.');
          if (Options?.RequestAddressType === 'com.docker.network.gateway') return { Address: `${net24}.1/24` };
          let host = 100;
          while (leased.has(`${net24}.${host}`)) host++;
          const a = Address || `${net24}.${host}`;
          leased.add(a);
          macs.set(a, Options?.['com.docker.network.endpoint.macaddress'] ?? '');
          return { Address: `${a}/24` };
        },
        'IpamDriver.ReleaseAddress': (b: unknown) => {
          const a = (b as { Address: string }).Address;
          if (!a.endsWith('.1')) leased.delete(a);
          return {};
        },
      },
    });
    // Only this test's plugin directory, and a short call limit for the hang below.
    const config = join(d.dir, 'tscrd.json');
    await writeFile(
      config,
      JSON.stringify({ pluginDirs: [pluginDir], dockerPluginDirs: false, pluginTimeouts: { timeoutMs: 3000 } }),
    );
    await d.start(['--config', config]);
    const rootfs = join(d.dir, 'rootfs');
    await mkdir(rootfs);
    await busyboxRootfsDir(rootfs);
    await writeFile(join(rootfs, 'hello.txt'), 'hello\n');
    const tar = join(d.dir, 'image.tar');
    expect(spawnSync('tar', ['-C', rootfs, '-cf', tar, '.']).status).toBe(0);
    await ok(['image', 'import', tar, image]);
  }, 120_000);

  afterAll(async () => {
    if (!d) return;
    for (const id of (await cli(['ps', '-a', '-q'])).stdout.split('\n').filter(Boolean)) await cli(['rm', '-f', id]);
    await cli(['network', 'rm', network]);
    await d.stop();
    await net?.close();
    await ipam?.close();
    const left = linksWith(ours);
    for (const l of left) spawnSync('ip', ['link', 'del', l]);
    await d.cleanup();
    expect(left).toEqual([]);
  }, 180_000);

  it('creates a network of the plugin with addresses from the IPAM plugin', async () => {
    await ok(['network', 'create', '-d', net.name, '--ipam-driver', ipam.name, '--ipam-opt', 'tier=test', network]);
    const n = JSON.parse(await ok(['network', 'inspect', network]))[0];
    firstNetwork = n.Id;
    expect(n).toMatchObject({ Name: network, Driver: net.name, Scope: 'global' });
    const ls = (await ok(['network', 'ls', '--format', '{{.Name}} {{.Scope}}'])).split('\n');
    expect(ls).toContain(`${network} global`);
    expect(ls).toContain('bridge local');
    expect(n.IPAM).toMatchObject({ Driver: ipam.name, Options: { tier: 'test' } });
    expect(n.IPAM.Config[0]).toMatchObject({ Subnet: subnet, Gateway: gateway });
    expect(linksWith(bridge)).toEqual([bridge]);
    expect(net.count('NetworkDriver.CreateNetwork')).toBe(1);
    expect(ipam.calls.find((c) => c.method === 'IpamDriver.RequestPool')?.body).toMatchObject({
      Options: { tier: 'test' },
    });
  });

  it("gives two containers the plugin's veths and pool addresses; one reaches the other", async () => {
    await ok([
      'run',
      '-d',
      '--name',
      'tscr-test-np-a',
      '--network',
      network,
      image,
      'httpd',
      '-f',
      '-p',
      '80',
      '-h',
      '/',
    ]);
    const a = JSON.parse(await ok(['inspect', 'tscr-test-np-a']))[0].NetworkSettings.Networks[network];
    expect(a.IPAddress).toBe(`10.${octet}.5.100`);
    expect(a.Gateway).toBe(gateway);
    // RequiresMACAddress: the MAC went with RequestAddress, and the container's interface has it.
    expect(a.MacAddress).toMatch(/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/);
    expect(macs.get(`10.${octet}.5.100`)).toBe(a.MacAddress);
    expect(await ok(['exec', 'tscr-test-np-a', 'cat', '/sys/class/net/eth0/address'])).toBe(`${a.MacAddress}\n`);
    // EndpointOperInfo: the driver's data shows in the network's endpoint entry.
    const aId = (await ok(['inspect', '-f', '{{.Id}}', 'tscr-test-np-a'])).trim();
    const entry = JSON.parse(await ok(['network', 'inspect', network]))[0].Containers[aId];
    expect(entry.DriverInfo).toEqual({ 'tscr-test.host-veth': [...endpoints.values()][0]?.host, port: '80' });
    // The plugin's veth, renamed eth0, with the address, the static route and the default route it answered.
    const addr = await ok(['exec', 'tscr-test-np-a', 'ip', '-o', '-4', 'addr', 'show', 'eth0']);
    expect(addr).toContain(`10.${octet}.5.100/24`);
    const routes = await ok(['exec', 'tscr-test-np-a', 'ip', 'route']);
    expect(routes).toContain(`default via ${gateway} dev eth0`);
    expect(routes).toContain(`198.51.100.0/24 via ${gateway} dev eth0`);
    expect(net.count('NetworkDriver.ProgramExternalConnectivity')).toBe(1);
    const out = await ok([
      'run',
      '--rm',
      '--network',
      network,
      image,
      'sh',
      '-c',
      `ip -o -4 addr show eth0; timeout -s KILL 5 wget -qO- http://10.${octet}.5.100/hello.txt; exit $?`,
    ]);
    expect(out).toContain(`10.${octet}.5.101/24`);
    expect(out).toContain('hello');
    // The second container's endpoint went away with it: Leave, DeleteEndpoint, ReleaseAddress.
    expect(net.count('NetworkDriver.Leave')).toBe(1);
    expect(net.count('NetworkDriver.RevokeExternalConnectivity')).toBe(1);
    await expectNoLeak(1);
  });

  it('fails a start cleanly when the plugin answers garbage or a bad interface', async () => {
    net.handlers['NetworkDriver.Join'] = faults.garbage();
    const r = await cli(['run', '--rm', '--network', network, image, 'true']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(`plugin ${net.name}`);
    await expectNoLeak(1);
    net.handlers['NetworkDriver.Join'] = () => ({ InterfaceName: { SrcName: 'no such;if', DstPrefix: 'eth' } });
    const bad = await cli(['run', '--rm', '--network', network, image, 'true']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('invalid interface name');
    await expectNoLeak(1);
    const err = rawReply(500, JSON.stringify({ Err: 'tscr-test: out of veths' }));
    net.handlers['NetworkDriver.Join'] = () => err;
    const refused = await cli(['run', '--rm', '--network', network, image, 'true']);
    expect(refused.stderr).toContain('tscr-test: out of veths');
    await expectNoLeak(1);
  });

  it('fails a start cleanly when the plugin crashes mid-call or hangs', async () => {
    net.handlers['NetworkDriver.Join'] = faults.crash();
    const crashed = await cli(['run', '--rm', '--network', network, image, 'true']);
    expect(crashed.code).not.toBe(0);
    expect(crashed.stderr).toContain(`${net.name}`);
    expect(crashed.stderr).toContain('NetworkDriver.Join');
    await expectNoLeak(1);
    net.handlers['NetworkDriver.Join'] = faults.hang();
    const hung = await cli(['run', '--rm', '--network', network, image, 'true']);
    expect(hung.code).not.toBe(0);
    expect(hung.stderr).toMatch(/NetworkDriver\.Join: no answer within 3000 ms/);
    await expectNoLeak(1);
  }, 120_000);

  it('works again after the plugin restarts (re-activated)', async () => {
    net.handlers['NetworkDriver.Join'] = netHandlers['NetworkDriver.Join'];
    const activations = net.count('Plugin.Activate');
    await net.stop();
    // A start while the plugin is down waits for it (dockerd's back-off) and goes on once it is back.
    const run = cli(['run', '--rm', '--network', network, image, 'sh', '-c', 'ip -o -4 addr show eth0']);
    await new Promise((r) => setTimeout(r, 1500));
    await net.start();
    const r = await run;
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain(`10.${octet}.5.101/24`);
    expect(net.count('Plugin.Activate')).toBeGreaterThan(activations);
    await expectNoLeak(1);
  }, 120_000);

  it("serves Docker's API: docker network create -d PLUGIN with the daemon's IPAM or the IPAM plugin, docker run", async () => {
    const other = uniqueName('plugnet2');
    const created = await docker(['network', 'create', '-d', net.name, '--subnet', `10.${octet}.6.0/24`, other]);
    expect(created.stderr).toBe('');
    const n = JSON.parse((await docker(['network', 'inspect', other])).stdout)[0];
    expect(n).toMatchObject({ Driver: net.name, Scope: 'global', IPAM: { Driver: 'default' } });
    expect(n.IPAM.Config[0]).toMatchObject({ Subnet: `10.${octet}.6.0/24`, Gateway: `10.${octet}.6.1` });
    const run = await docker(['run', '--rm', '--network', other, image, 'ip', '-o', '-4', 'addr', 'show', 'eth0']);
    expect(run.stderr).toBe('');
    expect(run.stdout).toContain(`10.${octet}.6.2/24`);
    expect((await docker(['network', 'rm', other])).code).toBe(0);
    // And with the IPAM plugin: IPAM.Driver and IPAM.Options through the Docker API.
    const third = uniqueName('plugnet3');
    const args = ['--ipam-driver', ipam.name, '--ipam-opt', 'tier=docker', '--subnet', `10.${octet}.7.0/24`];
    expect((await docker(['network', 'create', '-d', net.name, ...args, third])).stderr).toBe('');
    const t = JSON.parse((await docker(['network', 'inspect', third])).stdout)[0];
    expect(t.IPAM).toMatchObject({ Driver: ipam.name, Options: { tier: 'docker' } });
    expect(t.IPAM.Config[0]).toMatchObject({ Subnet: `10.${octet}.7.0/24`, Gateway: `10.${octet}.7.1` });
    const onThird = await docker(['run', '--rm', '--network', third, image, 'ip', '-o', '-4', 'addr', 'show', 'eth0']);
    expect(onThird.stdout).toContain(`10.${octet}.7.100/24`);
    expect((await docker(['network', 'rm', third])).code).toBe(0);
    await expectNoLeak(1);
  });

  it('removes containers and the network through the plugins, after a daemon restart', async () => {
    // The container keeps running across the restart; its endpoint is remembered and torn down through the plugin.
    const before = ipam.calls.length;
    await d.stop();
    await d.start(['--config', join(d.dir, 'tscrd.json')]);
    const a = JSON.parse(await ok(['inspect', 'tscr-test-np-a']))[0];
    expect(a.State.Running).toBe(true);
    expect(a.NetworkSettings.Networks[network].IPAddress).toBe(`10.${octet}.5.100`);
    const leaves = net.count('NetworkDriver.Leave');
    await ok(['rm', '-f', 'tscr-test-np-a']);
    expect(net.count('NetworkDriver.Leave')).toBe(leaves + 1);
    // RequiresRequestReplay: after the restart the IPAM plugin was asked again for the pool, the gateway and the
    // running container's address (with its MAC), before the removal released it.
    const asked = ipam.calls.slice(before).filter((c) => c.method.startsWith('IpamDriver.Re'));
    expect(
      asked.map((c) => [
        c.method,
        (c.body as { Pool?: string; Address?: string }).Pool ?? (c.body as { Address: string }).Address,
      ]),
    ).toEqual([
      ['IpamDriver.RequestPool', subnet],
      ['IpamDriver.RequestAddress', gateway],
      ['IpamDriver.RequestAddress', `10.${octet}.5.100`],
      ['IpamDriver.ReleaseAddress', `10.${octet}.5.100`],
    ]);
    expect(asked[2]?.body).toMatchObject({
      Options: { 'com.docker.network.endpoint.macaddress': a.NetworkSettings.Networks[network].MacAddress },
    });
    await expectNoLeak(0);
    await ok(['network', 'rm', network]);
    expect(net.count('NetworkDriver.DeleteNetwork')).toBe(3); // this one and the Docker CLI's two
    expect(ipam.count('IpamDriver.ReleasePool')).toBe(2);
    expect(linksWith(ours)).toEqual([]);
  });
});
