import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isFailedPrecondition, isInvalidArgument, isNotFound } from '@tscr/api';
import { Server } from '@grpc/grpc-js';
import { listen } from '@tscr/api/grpc';
import { createLocalNetworkService, type LocalNetworkService } from '@tscr/network/local';
import { GrpcNetworkService, addNetworkService } from '@tscr/network/grpc';
import { makeTempDir, rejection, skipUnlessRoot } from '@tscr/testkit';

const exec = promisify(execFile);

/** Runs busybox `args` inside the namespace file `ns`; resolves with its exit code and output. */
async function inNs(ns: string, args: string[]): Promise<{ code: number; out: string }> {
  try {
    const { stdout, stderr } = await exec('nsenter', [`--net=${ns}`, 'busybox', ...args], { timeout: 15_000 });
    return { code: 0, out: stdout + stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : 1, out: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

/** Host objects of a prefix: links, iptables lines, namespace mounts. */
async function hostObjects(prefix: string, runDir: string): Promise<string[]> {
  const links = (await exec('ip', ['-o', 'link', 'show'])).stdout
    .split('\n')
    .map((l) => l.split(': ')[1]?.split('@')[0] ?? '')
    .filter((n) => n === `${prefix}0` || n.startsWith(`${prefix}-`) || n.startsWith(`v${prefix}`));
  const rules = (await exec('iptables-save')).stdout
    .split('\n')
    .filter((l) => l.includes(`${prefix.toUpperCase()}-`) || l.includes(` ${prefix}`));
  const mounts = (await readFile('/proc/self/mountinfo', 'utf8')).split('\n').filter((l) => l.includes(runDir));
  return [...links, ...rules, ...mounts];
}

/** Polls `read` until it equals `want` (the kernel removes a freed namespace's veths asynchronously), at most 5 s. */
async function eventually<T>(read: () => Promise<T>, want: T): Promise<T> {
  let got = await read();
  for (let i = 0; i < 50 && JSON.stringify(got) !== JSON.stringify(want); i++) {
    await new Promise((r) => setTimeout(r, 100));
    got = await read();
  }
  return got;
}

const skip = skipUnlessRoot('ip', 'iptables-restore', 'unshare', 'nsenter', 'busybox');

describe.skipIf(skip)('bridge networks on the host (real namespaces)', () => {
  const prefix = `tt${randomBytes(2).toString('hex')}`;
  let dir: string;
  let runDir: string;
  let svc: LocalNetworkService;
  const id = (n: string) => `${n}${'0'.repeat(64 - n.length)}`;

  beforeAll(async () => {
    dir = await makeTempDir('network');
    runDir = join(dir, 'netns');
    svc = createLocalNetworkService({ root: join(dir, 'state'), runDir, prefix, logger: () => undefined });
    await svc.list();
  });

  afterAll(async () => {
    await svc?.purge();
    if (dir) {
      expect(await eventually(() => hostObjects(prefix, runDir), [])).toEqual([]);
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('creates the default bridge network at start, with a subnet from the pool', async () => {
    const bridge = await svc.get('bridge');
    expect(bridge).toMatchObject({ driver: 'bridge', builtin: true, bridge: `${prefix}0` });
    expect(bridge.ipam[0]?.subnet).toMatch(/^172\.30\.\d+\.0\/24$/);
    expect((await exec('ip', ['link', 'show', `${prefix}0`])).stdout).toContain('UP');
  });

  it('connects endpoints on one network that reach each other and resolve names and aliases', async () => {
    const net = await svc.create('tscr-test-a', { labels: { k: 'v' } });
    expect(net.ipam[0]?.subnet).toMatch(/\/24$/);
    const a = await svc.attach(id('a1'), 'tscr-test-a', {
      name: 'tscr-test-web',
      endpoints: [{ network: 'tscr-test-a', aliases: ['www'] }],
    });
    const b = await svc.attach(id('b1'), 'tscr-test-a', { name: 'tscr-test-client' });
    expect(a.mode).toBe('path');
    expect(a.endpoints[0]?.ipAddress).not.toBe(b.endpoints[0]?.ipAddress);
    expect(a.dns).toEqual([net.ipam[0]?.gateway]);
    const ping = await inNs(b.path!, ['ping', '-c', '1', '-W', '3', a.endpoints[0]!.ipAddress]);
    expect(ping.code, ping.out).toBe(0);
    for (const name of ['tscr-test-web', 'www']) {
      const look = await inNs(b.path!, ['nslookup', name, a.dns[0]!]);
      expect(look.out).toContain(a.endpoints[0]!.ipAddress);
    }
    const inspected = await svc.get('tscr-test-a');
    expect(Object.keys(inspected.containers).sort()).toEqual([id('a1'), id('b1')]);
    await svc.detach(id('a1'));
    await svc.detach(id('b1'));
    await svc.remove('tscr-test-a');
  });

  it('isolates two user networks and cuts and restores a path with disconnect/connect', async () => {
    await svc.create('tscr-test-x');
    await svc.create('tscr-test-y');
    const x = await svc.attach(id('x1'), 'tscr-test-x', { name: 'tscr-test-x1' });
    const y = await svc.attach(id('y1'), 'tscr-test-y', { name: 'tscr-test-y1' });
    const yIp = y.endpoints[0]!.ipAddress;
    expect((await inNs(x.path!, ['ping', '-c', '1', '-W', '2', yIp])).code).not.toBe(0);
    expect((await inNs(x.path!, ['nslookup', 'tscr-test-y1', x.dns[0]!])).out).not.toContain(yIp);
    const ep = await svc.connect(id('x1'), 'tscr-test-y', { aliases: ['second'] });
    expect(ep.interfaceName).toBe('eth1');
    const reach = await inNs(x.path!, ['ping', '-c', '1', '-W', '3', yIp]);
    expect(reach.code, reach.out).toBe(0);
    // Names of a network it joined later resolve through its first network's server too.
    expect((await inNs(x.path!, ['nslookup', 'tscr-test-y1', x.dns[0]!])).out).toContain(yIp);
    expect(isFailedPrecondition(await rejection(svc.connect(id('x1'), 'tscr-test-y')))).toBe(true);
    await svc.disconnect(id('x1'), 'tscr-test-y');
    expect((await inNs(x.path!, ['ping', '-c', '1', '-W', '2', yIp])).code).not.toBe(0);
    expect(isFailedPrecondition(await rejection(svc.remove('tscr-test-y')))).toBe(true);
    await svc.detach(id('x1'));
    await svc.detach(id('y1'));
    expect(await svc.prune()).toEqual(expect.arrayContaining(['tscr-test-x', 'tscr-test-y']));
  });

  it('publishes ports reachable from the host loopback, and refuses a taken port', async () => {
    const a = await svc.attach(id('p1'), 'bridge', {
      name: 'tscr-test-p1',
      ports: [{ containerPort: 8080, protocol: 'tcp', hostIp: '', hostPort: 0 }],
    });
    const hostPort = a.ports[0]!.hostPort;
    expect(hostPort).toBeGreaterThan(0);
    // A one-shot server inside the namespace.
    const server = execFile('nsenter', [
      `--net=${a.path}`,
      'busybox',
      'nc',
      '-l',
      '-p',
      '8080',
      '-e',
      'echo',
      'hello-from-ns',
    ]);
    try {
      let reply = '';
      for (let i = 0; i < 50 && !reply.includes('hello'); i++) {
        reply = await exec('busybox', ['sh', '-c', `echo | timeout 3 busybox nc 127.0.0.1 ${hostPort}`]).then(
          (r) => r.stdout,
          () => '',
        );
        if (!reply.includes('hello')) await new Promise((r) => setTimeout(r, 100));
      }
      expect(reply).toContain('hello-from-ns');
    } finally {
      server.kill();
    }
    const taken = await rejection(
      svc.attach(id('p2'), 'bridge', { ports: [{ containerPort: 80, protocol: 'tcp', hostIp: '', hostPort }] }),
    );
    expect(isFailedPrecondition(taken)).toBe(true);
    expect(await svc.attachment(id('p2'))).toBeUndefined();
    await svc.detach(id('p1'));
    const rules = (await exec('iptables-save', ['-t', 'nat'])).stdout;
    expect(rules).not.toContain(`--dport ${hostPort} `);
  });

  it('refuses a host port some other process holds', async () => {
    const other = createServer();
    await new Promise<void>((r) => other.listen(0, '127.0.0.1', r));
    const port = (other.address() as { port: number }).port;
    try {
      const err = await rejection(
        svc.attach(id('q1'), 'bridge', {
          ports: [{ containerPort: 80, protocol: 'tcp', hostIp: '127.0.0.1', hostPort: port }],
        }),
      );
      expect(isFailedPrecondition(err)).toBe(true);
      expect(err.message).toContain('already allocated');
    } finally {
      other.close();
    }
  });

  it('rejects bad input and leaves nothing behind', async () => {
    const before = await hostObjects(prefix, runDir);
    const bridge = await svc.get('bridge');
    expect(isInvalidArgument(await rejection(svc.create('tscr-test-bad', { subnet: '10.0.0.1/24' })))).toBe(true);
    expect(isInvalidArgument(await rejection(svc.create('tscr-test-bad', { subnet: 'nope' })))).toBe(true);
    expect(isInvalidArgument(await rejection(svc.create('tscr-test-bad', { subnet: '10.0.0.0/33' })))).toBe(true);
    expect(isFailedPrecondition(await rejection(svc.create('tscr-test-bad', { subnet: bridge.ipam[0]!.subnet })))).toBe(
      true,
    );
    expect(
      isInvalidArgument(
        await rejection(svc.create('tscr-test-bad', { subnet: '10.231.0.0/24', gateway: '10.232.0.1' })),
      ),
    ).toBe(true);
    await svc.create('tscr-test-fixed', { subnet: '10.231.7.0/24', ipRange: '10.231.7.128/25' });
    expect(
      isInvalidArgument(
        await rejection(
          svc.attach(id('f1'), 'tscr-test-fixed', { endpoints: [{ network: 'tscr-test-fixed', ip: '10.231.8.5' }] }),
        ),
      ),
    ).toBe(true);
    const f1 = await svc.attach(id('f1'), 'tscr-test-fixed', {
      endpoints: [{ network: 'tscr-test-fixed', ip: '10.231.7.5' }],
    });
    expect(f1.endpoints[0]?.ipAddress).toBe('10.231.7.5');
    const f2 = await svc.attach(id('f2'), 'tscr-test-fixed');
    expect(f2.endpoints[0]?.ipAddress).toBe('10.231.7.128');
    expect(
      isFailedPrecondition(
        await rejection(
          svc.attach(id('f3'), 'tscr-test-fixed', { endpoints: [{ network: 'tscr-test-fixed', ip: '10.231.7.5' }] }),
        ),
      ),
    ).toBe(true);
    expect(isNotFound(await rejection(svc.attach(id('f4'), 'tscr-test-nonexistent')))).toBe(true);
    await svc.detach(id('f1'));
    await svc.detach(id('f2'));
    await svc.remove('tscr-test-fixed');
    expect(await eventually(() => hostObjects(prefix, runDir), before)).toEqual(before);
  });

  it('gives --internal networks no route out', async () => {
    const n = await svc.create('tscr-test-int', { internal: true });
    expect(n.internal).toBe(true);
    const a = await svc.attach(id('i1'), 'tscr-test-int', { name: 'tscr-test-i1' });
    expect(a.endpoints[0]?.gateway).toBe('');
    const routes = await inNs(a.path!, ['ip', 'route']);
    expect(routes.out).not.toContain('default');
    const rules = (await exec('iptables-save', ['-t', 'filter'])).stdout;
    expect(rules).toContain(`-i ${n.bridge} ! -o ${n.bridge} -j DROP`);
    expect((await exec('iptables-save', ['-t', 'nat'])).stdout).not.toContain(`${n.ipam[0]!.subnet} ! -o ${n.bridge}`);
    await svc.detach(id('i1'));
    await svc.remove('tscr-test-int');
  });

  it('serves the same networks through gRPC', async () => {
    const sock = join(dir, 'net.sock');
    const server = new Server();
    addNetworkService(server, svc);
    const client = new GrpcNetworkService(await listen(server, `unix://${sock}`));
    try {
      const n = await client.create('tscr-test-g', {
        subnet: '10.231.44.0/24',
        gateway: '10.231.44.254',
        labels: { a: 'b' },
      });
      expect(n.ipam).toEqual([{ subnet: '10.231.44.0/24', gateway: '10.231.44.254' }]);
      const a = await client.attach(id('g1'), 'bridge', {
        name: 'tscr-test-g1',
        endpoints: [{ network: 'tscr-test-g', aliases: ['ga'], ip: '10.231.44.7' }],
        ports: [{ containerPort: 53, protocol: 'udp', hostIp: '127.0.0.1', hostPort: 0 }],
      });
      expect(a.endpoints.map((e) => [e.networkName, e.interfaceName])).toEqual([
        ['bridge', 'eth0'],
        ['tscr-test-g', 'eth1'],
      ]);
      expect(a.endpoints[1]).toMatchObject({
        ipAddress: '10.231.44.7',
        aliases: ['ga'],
        staticIp: true,
        prefixLen: 24,
      });
      expect(a.ports[0]).toMatchObject({ containerPort: 53, protocol: 'udp', hostIp: '127.0.0.1' });
      expect(await client.attachment(id('g1'))).toEqual(a);
      expect((await client.get('tscr-test-g')).containers[id('g1')]?.containerName).toBe('tscr-test-g1');
      await client.disconnect(id('g1'), 'tscr-test-g');
      const ep = await client.connect(id('g1'), 'tscr-test-g', { aliases: ['again'] });
      expect(ep.aliases).toEqual(['again']);
      expect(isFailedPrecondition(await rejection(client.remove('tscr-test-g')))).toBe(true);
      await client.detach(id('g1'));
      expect(await client.attachment(id('g1'))).toBeUndefined();
      expect(await client.prune()).toEqual(['tscr-test-g']);
    } finally {
      client.close();
      server.forceShutdown();
    }
  });

  it('gives 50 concurrent attaches distinct addresses', async () => {
    const ids = Array.from({ length: 50 }, (_, i) => id(`c${i.toString().padStart(2, '0')}`));
    const all = await Promise.all(ids.map((c) => svc.attach(c, 'bridge')));
    const ips = all.map((a) => a.endpoints[0]!.ipAddress);
    expect(new Set(ips).size).toBe(50);
    await Promise.all(ids.map((c) => svc.detach(c)));
    expect((await svc.get('bridge')).containers).toEqual({});
  });

  it('reconciles after a crash: unknown host objects go, known ones stay, a new instance sees the state', async () => {
    const kept = await svc.attach(id('r1'), 'bridge', { name: 'tscr-test-r1' });
    // A leftover veth this state does not know about.
    await exec('ip', [
      'link',
      'add',
      `v${prefix}deadbeef`.slice(0, 15),
      'type',
      'veth',
      'peer',
      'name',
      `${prefix}tmp`,
    ]);
    svc.close();
    svc = createLocalNetworkService({ root: join(dir, 'state'), runDir, prefix, logger: () => undefined });
    await svc.list();
    const links = (await exec('ip', ['-o', 'link', 'show'])).stdout;
    expect(links).not.toContain(`v${prefix}deadbeef`.slice(0, 15));
    const again = await svc.attachment(id('r1'));
    expect(again?.endpoints[0]?.ipAddress).toBe(kept.endpoints[0]?.ipAddress);
    const ping = await inNs(kept.path!, ['ping', '-c', '1', '-W', '3', (await svc.get('bridge')).ipam[0]!.gateway]);
    expect(ping.code, ping.out).toBe(0);
    await svc.detach(id('r1'));
  });
});
