/**
 * tscr's own network plugin form end to end: a network driver implemented by a Node program and served over
 * gRPC with `@tscr/network/grpc` (`packages/network/examples/serve-driver.mjs`: the package's own bridge
 * implementation with a prefix, pool and state of its own, in a process of its own), plugged into a real
 * `tscrd` with `--network-driver NAME=ADDRESS`; the built `tscr` CLI creates a network of that driver and two
 * containers on it reach each other. Root only.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { busyboxRootfsDir, uniqueName } from '@tscr/testkit';
import { E2eDaemon, e2eSkipReason, type Result } from '../fixtures/e2e.js';

const APP = join(import.meta.dirname, '../../../network/examples/serve-driver.mjs');

/** Starts the driver program and waits for its `ready`. */
async function startDriver(args: string[]): Promise<ChildProcess> {
  const p = spawn('node', [APP, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    p.stdout?.on('data', (b: Buffer) => b.toString().includes('ready') && resolve());
    p.once('exit', (code) => reject(new Error(`network driver exited (${code})`)));
  });
  return p;
}

const skip = e2eSkipReason() ?? (spawnSync('iptables-save').status === 0 ? undefined : 'needs iptables');

/** Host interfaces whose name starts with one of `prefixes`. */
function linksWith(...prefixes: string[]): string[] {
  return spawnSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' })
    .stdout.split('\n')
    .map((l) => l.split(': ')[1]?.split('@')[0] ?? '')
    .filter((n) => prefixes.some((p) => n.startsWith(p)));
}

describe.skipIf(skip)('network driver served over gRPC (tscrd --network-driver)', () => {
  let d: E2eDaemon;
  let driver: ChildProcess | undefined;
  // The driver's own host objects: bridges `tnXXXX0`/`tnXXXX-…`, veths `vtnXXXX…`.
  const prefix = `tn${randomBytes(2).toString('hex')}`;
  const octet = 100 + (randomBytes(1)[0]! % 100);
  const image = `${uniqueName('ndimg')}:test`;
  const net = uniqueName('nodenet');

  const ok = (args: string[]): string => {
    const r: Result = d.tscr(args);
    expect(r.stderr, `tscr ${args.join(' ')}`).toBe('');
    expect(r.code).toBe(0);
    return r.stdout;
  };

  beforeAll(async () => {
    d = await E2eDaemon.create('netdriver');
    const drvDir = join(d.dir, 'driver');
    await mkdir(drvDir, { recursive: true });
    const socket = join(drvDir, 'driver.sock');
    driver = await startDriver([socket, drvDir, prefix, `10.${octet}.0.0/16`]);
    await d.start(['--network-driver', `nodenet=unix://${socket}`]);
    const rootfs = join(d.dir, 'rootfs');
    await mkdir(rootfs);
    await busyboxRootfsDir(rootfs);
    const tar = join(d.dir, 'image.tar');
    expect(spawnSync('tar', ['-C', rootfs, '-cf', tar, '.']).status).toBe(0);
    ok(['image', 'import', tar, image]);
  }, 120_000);

  afterAll(async () => {
    if (!d) return;
    for (const id of d.tscr(['ps', '-a', '-q']).stdout.split('\n').filter(Boolean)) d.tscr(['rm', '-f', id]);
    d.tscr(['network', 'rm', net]);
    await d.cleanup();
    if (driver?.exitCode === null) {
      const gone = new Promise((r) => driver?.once('exit', r));
      driver.kill('SIGUSR2'); // removes the driver's bridges and rules, then exits
      await gone;
    }
    // The driver keeps its state under the daemon's directory until it exits.
    await rm(d.dir, { recursive: true, force: true });
    expect(linksWith(prefix, `v${prefix}`)).toEqual([]);
  }, 120_000);

  it('creates a network of the driver, shown with its name, and refuses a driver nobody serves', () => {
    ok(['network', 'create', '-d', 'nodenet', '--subnet', `10.${octet}.7.0/24`, net]);
    const ls = ok(['network', 'ls', '--format', '{{.Name}} {{.Driver}}']);
    expect(ls).toContain(`${net} nodenet`);
    const n = JSON.parse(ok(['network', 'inspect', net]))[0];
    expect(n.Driver).toBe('nodenet');
    expect(n.IPAM.Config[0].Subnet).toBe(`10.${octet}.7.0/24`);
    // The bridge is the driver's own, made by the driver process.
    expect(linksWith(`${prefix}-`).length).toBe(1);
    const bad = d.tscr(['network', 'create', '-d', 'tscr-test-nosuchdriver', uniqueName('x')]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('tscr-test-nosuchdriver');
  });

  it('gives containers on it interfaces from the driver, and one reaches the other', () => {
    ok(['run', '-d', '--name', 'tscr-test-nd-a', '--network', net, image, 'sleep', '1000']);
    const a = JSON.parse(ok(['inspect', 'tscr-test-nd-a']))[0].NetworkSettings.Networks[net];
    expect(a.IPAddress).toMatch(new RegExp(`^10\\.${octet}\\.7\\.\\d+$`));
    expect(linksWith(`v${prefix}`).length).toBe(1);
    const out = ok([
      'run',
      '--rm',
      '--network',
      net,
      image,
      'sh',
      '-c',
      `timeout -s KILL 5 ping -c 1 ${a.IPAddress}; exit $?`,
    ]);
    expect(out).toContain('1 packets received');
    ok(['rm', '-f', 'tscr-test-nd-a']);
  });

  it('removes the network through the driver', () => {
    ok(['network', 'rm', net]);
    expect(d.tscr(['network', 'inspect', net]).code).not.toBe(0);
    expect(linksWith(`${prefix}-`)).toEqual([]);
  });
});
