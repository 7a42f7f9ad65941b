/**
 * Networks end to end: the built `tscr` CLI against a real `tscrd` with real
 * containers on real bridges, veths and namespaces. Traffic stays between
 * the host's loopback and the namespaces this test creates. Root only.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { get } from 'node:http';
import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { busyboxRootfsDir, uniqueName } from '@tscr/testkit';
import { E2eDaemon, e2eSkipReason, runCliAsync, waitFor, type Result } from '../fixtures/e2e.js';

const skip = e2eSkipReason() ?? (spawnSync('iptables-save').status === 0 ? undefined : 'needs iptables');

function httpGet(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = get({ host: '127.0.0.1', port, path: '/', timeout: 5000 }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve(body));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

/** Host objects of a daemon's network prefix: interfaces and iptables lines. */
function hostObjects(prefix: string): { links: string[]; rules: string[] } {
  const links = spawnSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' })
    .stdout.split('\n')
    .map((l) => l.split(': ')[1]?.split('@')[0] ?? '')
    .filter((n) => n.startsWith(prefix) || n.startsWith(`v${prefix}`));
  const rules = spawnSync('iptables-save', { encoding: 'utf8' })
    .stdout.split('\n')
    .filter((l) => l.includes(`${prefix.toUpperCase()}-`));
  return { links, rules };
}

// `…; exit $?` keeps sh as the container's PID 1: else sh execs `timeout`, which becomes PID 1, and
// the kernel drops the signal its watcher sends to PID 1 from inside the namespace (wget would then
// wait out TCP's own two-minute connect timeout).
describe.skipIf(skip)('tscr networks end to end', () => {
  let d: E2eDaemon;
  let prefix = '';
  const image = `${uniqueName('nimg')}:test`;
  const net = uniqueName('net');
  const other = uniqueName('net2');

  const tscr = (args: string[]): Result => d.tscr(args);
  const ok = (args: string[]): string => {
    const r = tscr(args);
    expect(r.stderr, `tscr ${args.join(' ')}`).toBe('');
    expect(r.code).toBe(0);
    return r.stdout;
  };
  const ipOf = (name: string, network: string): string =>
    JSON.parse(ok(['inspect', name]))[0].NetworkSettings.Networks[network].IPAddress;

  beforeAll(async () => {
    d = await E2eDaemon.create('network');
    await d.start();
    prefix = `ts${createHash('sha256').update(join(d.dir, 'root')).digest('hex').slice(0, 4)}`;
    const rootfs = join(d.dir, 'rootfs');
    await mkdir(rootfs);
    await busyboxRootfsDir(rootfs);
    await mkdir(join(rootfs, 'www'), { recursive: true });
    await writeFile(join(rootfs, 'www', 'index.html'), 'hello from web\n');
    const tar = join(d.dir, 'image.tar');
    expect(spawnSync('tar', ['-C', rootfs, '-cf', tar, '.']).status).toBe(0);
    ok(['image', 'import', '-c', 'EXPOSE 80', tar, image]);
  }, 120_000);

  afterAll(async () => {
    if (!d) return;
    for (const id of tscr(['ps', '-a', '-q']).stdout.split('\n').filter(Boolean)) tscr(['rm', '-f', id]);
    for (const n of [net, other]) tscr(['network', 'rm', n]);
    // Nothing of a container is left: no veth, no namespace mount.
    // (the kernel removes the veths of a freed namespace asynchronously)
    await waitFor('the veths to go', () => hostObjects(prefix).links.every((l) => !l.startsWith(`v${prefix}`)));
    expect(readFileSync('/proc/self/mountinfo', 'utf8')).not.toContain(join(d.dir, 'exec', 'netns'));
    await d.stop();
    // A daemon stopped with nothing attached leaves no bridge and no rule.
    expect(hostObjects(prefix)).toEqual({ links: [], rules: [] });
    await d.cleanup();
  }, 120_000);

  it('lists the default networks', () => {
    const out = ok(['network', 'ls']);
    for (const n of ['bridge', 'host', 'none']) expect(out).toMatch(new RegExp(`\\s${n}\\s`));
  });

  it('resolves containers by name and alias on a user network, not on another network', async () => {
    ok(['network', 'create', net]);
    ok(['network', 'create', '--subnet', '10.231.90.0/24', other]);
    ok([
      'run',
      '-d',
      '--name',
      'tscr-test-web',
      '--network',
      net,
      '--network-alias',
      'www',
      image,
      'httpd',
      '-f',
      '-p',
      '80',
      '-h',
      '/www',
    ]);
    for (const host of ['tscr-test-web', 'www']) {
      const out = ok([
        'run',
        '--rm',
        '--network',
        net,
        image,
        'sh',
        '-c',
        `timeout -s KILL 5 wget -qO- http://${host}/; exit $?`,
      ]);
      expect(out).toBe('hello from web\n');
    }
    const ip = ipOf('tscr-test-web', net);
    expect(ip).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    const isolated = tscr([
      'run',
      '--rm',
      '--network',
      other,
      image,
      'sh',
      '-c',
      `timeout -s KILL 3 wget -qO- http://${ip}/; exit $?`,
    ]);
    expect(isolated.code).not.toBe(0);
    const unresolved = tscr([
      'run',
      '--rm',
      '--network',
      other,
      image,
      'sh',
      '-c',
      'timeout -s KILL 3 wget -qO- http://tscr-test-web/; exit $?',
    ]);
    expect(unresolved.code).not.toBe(0);
    const inspected = JSON.parse(ok(['network', 'inspect', net]))[0];
    expect(Object.values(inspected.Containers).map((c) => (c as { Name: string }).Name)).toEqual(['tscr-test-web']);
  });

  it('cuts the path on disconnect and restores it on connect, on a running container', async () => {
    const ip = ipOf('tscr-test-web', net);
    ok([
      'run',
      '-d',
      '--name',
      'tscr-test-probe',
      '--network',
      other,
      image,
      'sh',
      '-c',
      `while true; do if timeout -s KILL 2 wget -qO- http://${ip}/ >/dev/null 2>&1; then echo UP; else echo DOWN; fi; sleep 0.2; done`,
    ]);
    const last = () => ok(['logs', 'tscr-test-probe']).trim().split('\n').pop();
    await waitFor('probe down (isolated)', () => last() === 'DOWN');
    ok(['network', 'connect', '--alias', 'probe', net, 'tscr-test-probe']);
    await waitFor('probe up after connect', () => last() === 'UP');
    expect(isFailedConnect(tscr(['network', 'connect', net, 'tscr-test-probe']))).toBe(true);
    ok(['network', 'disconnect', net, 'tscr-test-probe']);
    await waitFor('probe down after disconnect', () => last() === 'DOWN');
    // A connection made while stopped is there at the next start, and every start after.
    ok(['stop', '-t', '1', 'tscr-test-probe']);
    ok(['network', 'connect', '--alias', 'probe', net, 'tscr-test-probe']);
    ok(['start', 'tscr-test-probe']);
    await waitFor('probe up after a connect while stopped', () => last() === 'UP');
    ok(['restart', '-t', '1', 'tscr-test-probe']);
    expect(ipOf('tscr-test-probe', net)).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    ok(['rm', '-f', 'tscr-test-probe']);
  });

  it('reconnects a running container to the only network it left, keeping its network mode', () => {
    const webIp = ipOf('tscr-test-web', net);
    ok(['run', '-d', '--name', 'tscr-test-solo', '--network', net, image, 'sleep', '1000']);
    const addrs = () => ok(['exec', 'tscr-test-solo', 'ip', '-o', '-4', 'addr', 'show']);
    ok(['network', 'disconnect', net, 'tscr-test-solo']);
    const left = JSON.parse(ok(['inspect', 'tscr-test-solo']))[0];
    expect(left.HostConfig.NetworkMode).toBe(net);
    expect(left.NetworkSettings.Networks[net]).toBeUndefined();
    expect(addrs()).not.toMatch(/eth\d+\s+inet /);
    ok(['network', 'connect', net, 'tscr-test-solo']);
    expect(addrs()).toMatch(/eth\d+\s+inet /);
    expect(ipOf('tscr-test-solo', net)).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    const body = ok(['exec', 'tscr-test-solo', 'sh', '-c', `timeout -s KILL 5 wget -qO- http://${webIp}/; exit $?`]);
    expect(body).toBe('hello from web\n');
    ok(['rm', '-f', 'tscr-test-solo']);
  });

  it('publishes ports on the host loopback and shows them with tscr port', async () => {
    ok(['run', '-d', '--name', 'tscr-test-pub', '-p', '127.0.0.1::80', image, 'httpd', '-f', '-p', '80', '-h', '/www']);
    const line = ok(['port', 'tscr-test-pub']).trim();
    expect(line).toMatch(/^80\/tcp -> 127\.0\.0\.1:\d+$/);
    const port = Number(line.split(':').pop());
    let body = '';
    for (let i = 0; i < 50 && body === ''; i++) {
      body = await httpGet(port).catch(() => '');
      if (body === '') await new Promise((r) => setTimeout(r, 100));
    }
    expect(body).toBe('hello from web\n');
    // The port is taken while the container runs: a clear error before the second starts.
    const taken = tscr(['run', '--rm', '-p', `127.0.0.1:${port}:80`, image, 'true']);
    expect(taken.code).toBe(125);
    expect(taken.stderr).toContain('already allocated');
    ok(['stop', '-t', '1', 'tscr-test-pub']);
    expect(ok(['port', 'tscr-test-pub'])).toBe('');
    expect(spawnSync('iptables-save', ['-t', 'nat'], { encoding: 'utf8' }).stdout).not.toContain(`--dport ${port} `);
    ok(['rm', 'tscr-test-pub']);
    // -P: the image's EXPOSE 80 on a free port.
    ok(['run', '-d', '--name', 'tscr-test-pall', '-P', image, 'httpd', '-f', '-p', '80', '-h', '/www']);
    expect(ok(['port', 'tscr-test-pall', '80'])).toMatch(/^0\.0\.0\.0:\d+\n$/);
    ok(['rm', '-f', 'tscr-test-pall']);
  });

  it('writes /etc/hosts, /etc/hostname and /etc/resolv.conf', () => {
    const out = ok([
      'run',
      '--rm',
      '--hostname',
      'tscr-test-host',
      '--add-host',
      'db.example:10.1.2.3',
      '--dns',
      '10.9.9.9',
      image,
      'cat',
      '/etc/hosts',
      '/etc/hostname',
      '/etc/resolv.conf',
    ]);
    expect(out).toContain('10.1.2.3\tdb.example');
    expect(out).toMatch(/\d+\.\d+\.\d+\.\d+\ttscr-test-host\n/);
    expect(out).toContain('tscr-test-host\n');
    expect(out).toContain('nameserver 10.9.9.9');
    const user = ok(['run', '--rm', '--network', net, image, 'cat', '/etc/resolv.conf']);
    const gateway = JSON.parse(ok(['network', 'inspect', net]))[0].IPAM.Config[0].Gateway;
    expect(user).toContain(`nameserver ${gateway}`);
  });

  it('supports host, none and container:<name> modes', () => {
    expect(ok(['run', '--rm', '--network', 'none', image, 'cat', '/proc/net/dev'])).not.toContain('eth0');
    const webIp = ipOf('tscr-test-web', net);
    const shared = ok(['run', '--rm', '--network', 'container:tscr-test-web', image, 'ip', '-4', '-o', 'addr']);
    expect(shared).toContain(webIp);
  });

  it('rejects bad input with clear errors and leaves nothing half-made', () => {
    const bridgesAndRules = () => {
      const o = hostObjects(prefix);
      return { bridges: o.links.filter((l) => !l.startsWith(`v${prefix}`)), rules: o.rules };
    };
    const before = bridgesAndRules();
    const cases: Array<[string[], RegExp]> = [
      [['run', '--rm', '-p', '70000:80', image, 'true'], /invalid port|70000/],
      [['run', '--rm', '-p', 'abc', image, 'true'], /invalid/],
      [['network', 'create', '--subnet', '10.231.91.1/24', uniqueName('bad')], /host bits/],
      [['network', 'create', '--subnet', 'nonsense', uniqueName('bad')], /invalid subnet/],
      [['network', 'create', '--subnet', '10.231.90.0/25', uniqueName('bad')], /overlaps/],
      [['run', '--rm', '--network', net, '--ip', '10.250.0.9', image, 'true'], /not a usable address/],
      [['run', '--rm', '--network', uniqueName('missing'), image, 'true'], /not found/],
      [['network', 'rm', net], /active endpoints/],
      [['network', 'rm', 'bridge'], /pre-defined/],
    ];
    for (const [args, message] of cases) {
      const r = tscr(args);
      expect(r.code, args.join(' ')).not.toBe(0);
      expect(r.stderr, args.join(' ')).toMatch(message);
    }
    expect(bridgesAndRules()).toEqual(before);
  });

  it('keeps a running container networked across a daemon crash and cleans up after it', async () => {
    ok([
      'run',
      '-d',
      '--name',
      'tscr-test-crash',
      '--network',
      net,
      '-p',
      '127.0.0.1::80',
      image,
      'httpd',
      '-f',
      '-p',
      '80',
      '-h',
      '/www',
    ]);
    const ip = ipOf('tscr-test-crash', net);
    const port = ok(['port', 'tscr-test-crash', '80']).trim();
    await d.stop('SIGKILL');
    await d.start();
    expect(ipOf('tscr-test-crash', net)).toBe(ip);
    expect(ok(['port', 'tscr-test-crash', '80']).trim()).toBe(port);
    expect(await httpGet(Number(port.split(':')[1]))).toBe('hello from web\n');
    const byName = [
      'run',
      '--rm',
      '--network',
      net,
      image,
      'sh',
      '-c',
      'timeout -s KILL 5 wget -qO- http://tscr-test-crash/; exit $?',
    ];
    expect(ok(byName)).toBe('hello from web\n');
    // A new container never gets the address the survivor holds.
    ok(['run', '-d', '--name', 'tscr-test-crash2', '--network', net, image, 'sleep', '60']);
    expect(ipOf('tscr-test-crash2', net)).not.toBe(ip);
    ok(['rm', '-f', 'tscr-test-crash', 'tscr-test-crash2']);
    const left = Object.values(JSON.parse(ok(['network', 'inspect', net]))[0].Containers);
    expect(left.map((c) => (c as { Name: string }).Name)).toEqual(['tscr-test-web']);
  });

  it('gives 50 concurrent runs distinct addresses', async () => {
    const names = Array.from({ length: 50 }, (_, i) => `tscr-test-many-${i}`);
    const results = await Promise.all(
      names.map((n) => runCliAsync(['run', '-d', '--name', n, '--network', net, image, 'sleep', '60'], d.env())),
    );
    for (const r of results) expect(r.stderr).toBe('');
    const ips = names.map((n) => ipOf(n, net));
    expect(new Set(ips).size).toBe(50);
    ok(['rm', '-f', ...names]);
  }, 180_000);
});

function isFailedConnect(r: Result): boolean {
  return r.code !== 0 && /already connected/.test(r.stderr);
}
