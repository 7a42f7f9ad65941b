/**
 * The CLI host's server against the fake daemon (a real gRPC server): hosted output is byte for byte what
 * `main` prints in-process, requests run concurrently without sharing state, signals and a client that goes
 * away reach the command, and the host cleans up after itself when idle.
 */
import { existsSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeFrame } from '../../src/host/frames.js';
import { startCliHost, type CliHost } from '../../src/host/server.js';
import { runCli, startFakeDaemon, type FakeDaemon } from '../fixtures/fake-daemon.js';
import { hostRun, startHostRun } from '../fixtures/host-client.js';

async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 300; i += 1) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('the CLI host server', () => {
  let d: FakeDaemon;
  let host: CliHost;
  let socket = '';
  const log: string[] = [];
  const env = () => ({ HOME: d.dir, TSCR_HOST: d.address });

  beforeAll(async () => {
    d = await startFakeDaemon();
    d.images.add('busybox:test', 2_140_000, new Date(Date.now() - 125_000).toISOString());
    socket = join(d.dir, 'cli-test.sock');
    host = await startCliHost({ socket, env: { TSCR_CLI_HOST_DEBUG: '1' }, idleSeconds: 600, log: (l) => log.push(l) });
  });
  afterAll(async () => {
    await host.stop();
    await d.stop();
  });

  it('listens with mode 0600 and writes its pid file', async () => {
    const { statSync } = await import('node:fs');
    expect(statSync(socket).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(d.dir, 'cli-test.pid'), 'utf8')).toBe(`${process.pid}\n`);
  });

  it.each([
    [['version']],
    [['--version']],
    [['ps', '-a']],
    [['images']],
    [['run', '--rm', 'busybox:test', 'echo', 'hello', 'world']],
    [['run', '--rm', 'busybox:test', 'err', 'oops']],
    [['run', '--rm', 'busybox:test', 'exit', '3']],
    [['run', '--rm', 'busybox:test', 'nope']],
    [['run', '--rm', 'missing:1', 'true']],
    [['inspect', 'tscr-test-no-such']],
    [['rm', 'tscr-test-no-such']],
    [['ps', '--bogus']],
    [['run']],
    [['ps', '--help']],
  ])('prints for %j what the CLI prints, with its exit code', async (argv) => {
    const hosted = await hostRun(socket, argv, { env: env() });
    const direct = await runCli(argv, { env: env() });
    expect(hosted).toMatchObject({ end: 'exit', accepted: true });
    expect({ code: hosted.code, stdout: hosted.stdout, stderr: hosted.stderr }).toEqual({
      code: direct.code,
      stdout: direct.stdout,
      stderr: direct.stderr,
    });
  });

  it('answers F, and runs nothing, for what it does not host', async () => {
    const before = d.containers.containers.size;
    for (const argv of [['run', '-it', 'busybox:test', 'sh'], ['frob'], ['help'], ['-H', 'tcp://127.0.0.1:1', 'ps']]) {
      const r = await hostRun(socket, argv, { env: env() });
      expect(r).toMatchObject({ end: 'fallback', accepted: false, stdout: '', stderr: '' });
      expect(r.reason).not.toBe('');
    }
    expect(d.containers.containers.size).toBe(before);
  });

  it('runs 50 requests at once, each with its own output, environment and exit code', async () => {
    const [echoes, exits, created] = await Promise.all([
      Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          hostRun(socket, ['run', '--rm', 'busybox:test', 'echo', `n${i}`], { env: env() }),
        ),
      ),
      Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          hostRun(socket, ['run', '--rm', 'busybox:test', 'exit', String(i)], { env: env() }),
        ),
      ),
      Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          hostRun(socket, ['create', '--name', `tscr-test-env${i}`, '-e', 'N', 'busybox:test'], {
            env: { ...env(), N: String(i) },
          }),
        ),
      ),
    ]);
    expect(echoes.map((r) => [r.code, r.stdout])).toEqual(Array.from({ length: 50 }, (_, i) => [0, `n${i}\n`]));
    expect(exits.map((r) => r.code)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(created.every((r) => r.code === 0)).toBe(true);
    for (let i = 0; i < 50; i++) {
      const info = await d.containers.inspect(`tscr-test-env${i}`);
      expect(info.config.env).toContain(`N=${i}`);
    }
    await hostRun(socket, ['rm', ...Array.from({ length: 50 }, (_, i) => `tscr-test-env${i}`)], { env: env() });
  });

  it('forwards SIGINT to an attached run (sig-proxy): the container ends with 130', async () => {
    d.containers.kills.length = 0;
    const run = startHostRun(socket, ['run', '--rm', 'busybox:test', 'sleep'], { env: env() });
    expect(await run.accepted).toBe(true);
    await until(() => [...d.containers.containers.values()].some((c) => c.info.state.running), 'the container to run');
    run.signal(2);
    const r = await run.done;
    expect(r).toMatchObject({ end: 'exit', code: 130 });
    expect(d.containers.kills).toEqual(['SIGINT']);
  });

  it('ends a command that does not handle the signal with 128 + its number, as the signal ends the bin', async () => {
    const id = (await hostRun(socket, ['run', '-d', 'busybox:test', 'sleep'], { env: env() })).stdout.trim();
    const wait = startHostRun(socket, ['wait', id], { env: env() });
    expect(await wait.accepted).toBe(true);
    wait.signal(15);
    expect(await wait.done).toMatchObject({ end: 'exit', code: 143 });
    await hostRun(socket, ['rm', '-f', id], { env: env() });
  });

  it('leaves the container of a client that goes away running, as a killed bin would (no signal), and ends the request', async () => {
    d.containers.kills.length = 0;
    const run = startHostRun(socket, ['run', 'busybox:test', 'sleep'], { env: env() });
    await run.accepted;
    await until(() => [...d.containers.containers.values()].some((c) => c.info.state.running), 'the container to run');
    run.destroy();
    await until(() => host.connections === 0, 'the connection to close');
    await until(() => log.some((l) => l.includes('["run","busybox:test","sleep"] -> ')), 'the request to end');
    expect(d.containers.kills).toEqual([]);
    const running = [...d.containers.containers.values()].filter((c) => c.info.state.running);
    expect(running).toHaveLength(1);
    await hostRun(socket, ['rm', '-f', running[0]!.info.id], { env: env() });
  });

  it('cancels the long calls of a client that goes away (its wait ends at once)', async () => {
    const id = (await hostRun(socket, ['run', '-d', 'busybox:test', 'sleep'], { env: env() })).stdout.trim();
    const wait = startHostRun(socket, ['wait', id], { env: env() });
    expect(await wait.accepted).toBe(true);
    await new Promise((r) => setTimeout(r, 50));
    wait.destroy();
    await until(() => log.some((l) => l.includes(`["wait","${id}"] -> `)), 'the wait to end');
    expect(d.containers.containers.get(id)?.info.state.running).toBe(true);
    await hostRun(socket, ['rm', '-f', id], { env: env() });
  });

  it('logs one line per request with TSCR_CLI_HOST_DEBUG=1', () => {
    expect(log.some((l) => /^tscr cli host: \["version"\] -> 0 in \d+ ms$/.test(l))).toBe(true);
    expect(log.some((l) => /^tscr cli host: F \["frob"\]: /.test(l))).toBe(true);
  });

  it('closes the connection on a protocol error and goes on serving', async () => {
    const closed = await new Promise<Buffer>((resolve) => {
      const c = connect(socket);
      const got: Buffer[] = [];
      c.on('data', (b) => got.push(b));
      c.on('close', () => resolve(Buffer.concat(got)));
      c.write(encodeFrame('Z', 'what'));
    });
    expect(closed.length).toBe(0);
    const notJson = await new Promise<number>((resolve) => {
      const c = connect(socket);
      let n = 0;
      c.on('data', (b) => (n += b.length));
      c.on('close', () => resolve(n));
      c.write(encodeFrame('R', '{'));
    });
    expect(notJson).toBe(0);
    expect(log.some((l) => /protocol error/.test(l))).toBe(true);
    expect((await hostRun(socket, ['version'], { env: env() })).code).toBe(0);
  });

  it('exits when idle, first removing its socket and pid file', async () => {
    const sock = join(d.dir, 'cli-idle.sock');
    const idle = await startCliHost({ socket: sock, env: {}, log: () => undefined });
    const r = await hostRun(sock, ['version'], { env: { ...env(), TSCR_CLI_HOST_IDLE: '0.2' } });
    expect(r.code).toBe(0);
    await idle.done;
    expect(existsSync(sock)).toBe(false);
    expect(existsSync(join(d.dir, 'cli-idle.pid'))).toBe(false);
    const refused = await hostRun(sock, ['version'], { env: env() });
    expect(refused).toMatchObject({ end: 'error', accepted: false });
  });

  it('does not remove a pid file that another host has rewritten', async () => {
    const sock = join(d.dir, 'cli-other.sock');
    const h = await startCliHost({ socket: sock, idleSeconds: 600, env: {}, log: () => undefined });
    const { writeFileSync } = await import('node:fs');
    writeFileSync(join(d.dir, 'cli-other.pid'), '999999\n');
    await h.stop();
    expect(readFileSync(join(d.dir, 'cli-other.pid'), 'utf8')).toBe('999999\n');
    expect(existsSync(sock)).toBe(false);
  });
});
