/**
 * End to end: the built CLI host (dist/cli-host.cjs) against a real daemon, driven over its protocol by the
 * test's own client (test/fixtures/host-client.ts; the `tscr` bin's client is C). What it prints and its exit
 * codes are compared with the built bin's for the same commands. Root only; everything under
 * /tmp/tscr-test-…, containers named tscr-test-…, the hosts ended by their PID.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { busyboxRootfsTar, uniqueName } from '@tscr/testkit';
import { CLI, E2eDaemon, e2eSkipReason, waitFor } from '../fixtures/e2e.js';
import { hostRun, startHostRun } from '../fixtures/host-client.js';

const HOST = CLI.replace(/main\.cjs$/, 'cli-host.cjs');

/** A host process on `socket`, its stdout/stderr in `log`. */
function startHost(
  socket: string,
  env: NodeJS.ProcessEnv,
  log: string,
): { child: ChildProcess; exited: Promise<number | null> } {
  const fd = openSync(log, 'a');
  const child = spawn(HOST, ['--socket', socket], { env, stdio: ['ignore', fd, fd] });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exited };
}

describe.skipIf(e2eSkipReason() ?? (existsSync(HOST) ? undefined : 'needs a build (npm run build)'))(
  'the CLI host end to end',
  () => {
    let d: E2eDaemon;
    let hostDir = '';
    let socket = '';
    let host: ReturnType<typeof startHost> | undefined;
    const others: ChildProcess[] = [];
    const image = `${uniqueName('img')}:test`;
    const env = (extra: NodeJS.ProcessEnv = {}) => d.env({ TSCR_CLI_HOST_DIR: hostDir, ...extra });
    const hosted = (argv: string[], extra: NodeJS.ProcessEnv = {}) => hostRun(socket, argv, { env: env(extra) });

    beforeAll(async () => {
      d = await E2eDaemon.create('cli-host');
      await d.start();
      const tar = await busyboxRootfsTar(d.dir, join(d.dir, 'busybox.tar'));
      expect(d.tscr(['image', 'import', tar, image]).code).toBe(0);
      hostDir = join(d.dir, 'cli-host');
      mkdirSync(hostDir, { mode: 0o700 });
      socket = join(hostDir, 'cli-test.sock');
      host = startHost(socket, env({ TSCR_CLI_HOST_IDLE: '600' }), join(hostDir, 'cli-test.log'));
      await waitFor('the CLI host', () => existsSync(join(hostDir, 'cli-test.pid')));
    }, 60_000);

    afterAll(async () => {
      for (const p of [host?.child, ...others]) if (p?.pid && p.exitCode === null) p.kill('SIGKILL');
      await d?.cleanup();
    });

    it('listens on a 0600 socket and writes its pid', () => {
      expect(statSync(socket).mode & 0o777).toBe(0o600);
      expect(readFileSync(join(hostDir, 'cli-test.pid'), 'utf8')).toBe(`${host?.child.pid}\n`);
    });

    it.each([
      ['version', ['version']],
      ['ps', ['ps']],
      ['run --rm', ['run', '--rm', '--network', 'none', '@IMG', 'true']],
      [
        'a command with output on both streams and an exit code',
        ['run', '--rm', '@IMG', 'sh', '-c', 'echo out; echo err >&2; exit 3'],
      ],
      ['a missing command', ['run', '--rm', '@IMG', 'tscr-test-no-such-command']],
      ['inspect of the image', ['inspect', '--format', '{{.Id}} {{.RepoTags}}', '@IMG']],
      ['an unknown container', ['inspect', 'tscr-test-no-such-container']],
      ['an unknown container for rm', ['rm', 'tscr-test-no-such-container']],
      ['a usage error', ['ps', '--bogus']],
      ['a usage error of run', ['run']],
      ['a missing image', ['run', '--rm', '--pull', 'never', 'tscr-test-missing:1', 'true']],
      ['help of a command', ['run', '--help']],
      ['a daemon that is not there', ['-H', 'unix:///tmp/tscr-test-no-daemon.sock', 'ps']],
    ])('prints what the bin prints, with its exit code: %s', async (_what, args) => {
      const argv = args.map((a) => (a === '@IMG' ? image : a));
      const viaHost = await hosted(argv);
      const viaBin = d.tscr(argv, { TSCR_CLI_HOST_DIR: hostDir });
      expect(viaHost).toMatchObject({ end: 'exit', accepted: true });
      expect({ code: viaHost.code, stdout: viaHost.stdout, stderr: viaHost.stderr }).toEqual(viaBin);
    });

    it('lists running containers as the bin does', async () => {
      const name = uniqueName('ps');
      expect(d.tscr(['run', '-d', '--name', name, image, 'sh', '-c', 'echo started; exec sleep 60']).code).toBe(0);
      const argv = ['ps', '-a', '--no-trunc', '--format', '{{.ID}} {{.Image}} {{.Command}} {{.Names}}'];
      const viaHost = await hosted(argv);
      expect({ code: viaHost.code, stdout: viaHost.stdout, stderr: viaHost.stderr }).toEqual(d.tscr(argv));
      expect(viaHost.stdout).toContain(name);
      const same = async (argv: string[]) => {
        const h = await hosted(argv);
        expect({ argv, code: h.code, stdout: h.stdout, stderr: h.stderr }).toEqual({ argv, ...d.tscr(argv) });
      };
      await same(['exec', name, 'sh', '-c', 'echo from exec; echo to stderr >&2; exit 4']);
      await same(['logs', name]);
      expect(await hosted(['kill', '-s', 'KILL', name])).toMatchObject({ code: 0, stdout: `${name}\n`, stderr: '' });
      await same(['wait', name]);
      await same(['kill', name]);
      expect((await hosted(['rm', '-f', name])).code).toBe(0);
    });

    it('answers F for run -it, unknown words and TCP daemons', async () => {
      for (const argv of [['run', '-it', image, 'sh'], ['frob'], ['-H', 'tcp://127.0.0.1:1', 'ps']]) {
        expect(await hosted(argv)).toMatchObject({ end: 'fallback', accepted: false, stdout: '', stderr: '' });
      }
      expect(await hosted(['ps'], { TSCR_HOST: 'tcp://127.0.0.1:1' })).toMatchObject({ end: 'fallback' });
    });

    it('forwards SIGINT to an attached run (sig-proxy)', async () => {
      const script = 'trap "echo got INT; exit 7" INT; echo ready; while :; do sleep 0.1; done';
      const run = startHostRun(socket, ['run', '--rm', image, 'sh', '-c', script], { env: env() });
      await waitFor('the container to be ready', () => run.stdout.includes('ready'));
      run.signal(2);
      const r = await run.done;
      expect(r).toMatchObject({ end: 'exit', code: 7, stdout: 'ready\ngot INT\n' });
    });

    it('leaves the container of a client that goes away mid-command running (no signal, as for a killed bin), and serves on', async () => {
      const name = uniqueName('gone');
      const script = 'trap "exit 5" TERM; echo ready; while :; do sleep 0.1; done';
      const run = startHostRun(socket, ['run', '--name', name, image, 'sh', '-c', script], { env: env() });
      await waitFor('the container to be ready', () => run.stdout.includes('ready'));
      run.destroy();
      await new Promise((r) => setTimeout(r, 500));
      expect(d.tscr(['inspect', '--format', '{{.State.Status}}', name]).stdout).toBe('running\n');
      expect((await hosted(['stop', '-t', '5', name])).code).toBe(0);
      expect(d.tscr(['inspect', '--format', '{{.State.ExitCode}}', name]).stdout).toBe('5\n');
      expect((await hosted(['rm', name])).code).toBe(0);
    });

    it('serves 20 requests at once, each with its own output', async () => {
      const runs = await Promise.all(
        Array.from({ length: 20 }, (_, i) => hosted(['run', '--rm', '--network', 'none', image, 'echo', `n${i}`])),
      );
      expect(runs.map((r) => [r.code, r.stdout, r.stderr])).toEqual(
        Array.from({ length: 20 }, (_, i) => [0, `n${i}\n`, '']),
      );
    });

    it('exits when idle, removing its socket and pid file', async () => {
      const sock = join(hostDir, 'cli-idle.sock');
      const idle = startHost(sock, env({ TSCR_CLI_HOST_IDLE: '1' }), join(hostDir, 'cli-idle.log'));
      others.push(idle.child);
      await waitFor('the idle host', () => existsSync(join(hostDir, 'cli-idle.pid')));
      expect((await hostRun(sock, ['version'], { env: env() })).code).toBe(0);
      expect(await idle.exited).toBe(0);
      expect(existsSync(sock)).toBe(false);
      expect(existsSync(join(hostDir, 'cli-idle.pid'))).toBe(false);
    });

    it('refuses to start without an absolute --socket, or where it cannot listen', () => {
      const usage = spawnSync(HOST, [], { env: env(), encoding: 'utf8' });
      expect(usage.status).toBe(2);
      expect(usage.stderr).toMatch(/usage: cli-host\.cjs --socket/);
      const missing = spawnSync(HOST, ['--socket', join(hostDir, 'tscr-test-missing', 'cli-x.sock')], {
        env: env(),
        encoding: 'utf8',
      });
      expect(missing.status).toBe(1);
      expect(missing.stderr).toMatch(/cannot listen on .*cli-x\.sock/);
    });

    it('on an uncaught exception logs it, removes its socket and pid file and exits 70', async () => {
      const sock = join(hostDir, 'cli-crash.sock');
      const preload = join(hostDir, 'tscr-test-crash.cjs');
      const pid = join(hostDir, 'cli-crash.pid');
      const seen = join(hostDir, 'tscr-test-crash.seen');
      // Loaded before the host by node's -r: once the host is up (its pid file written, its socket there), an
      // exception nobody catches.
      writeFileSync(
        preload,
        `const fs = require('node:fs');
const t = setInterval(() => {
  if (!fs.existsSync(${JSON.stringify(pid)})) return;
  clearInterval(t);
  fs.writeFileSync(${JSON.stringify(seen)}, String(fs.existsSync(${JSON.stringify(sock)})));
  throw new Error('tscr-test boom');
}, 10);
`,
      );
      const log = join(hostDir, 'cli-crash.log');
      const child = spawn(process.execPath, ['-r', preload, HOST, '--socket', sock], {
        env: env(),
        stdio: ['ignore', openSync(log, 'a'), openSync(log, 'a')],
      });
      others.push(child);
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      expect(await exited).toBe(70);
      expect(readFileSync(seen, 'utf8')).toBe('true');
      expect(existsSync(sock)).toBe(false);
      expect(existsSync(join(hostDir, 'cli-crash.pid'))).toBe(false);
      expect(readFileSync(log, 'utf8')).toMatch(/uncaught exception: Error: tscr-test boom/);
    });

    it('stops on SIGTERM, removing its socket and pid file', async () => {
      host?.child.kill('SIGTERM');
      expect(await host?.exited).toBe(0);
      expect(existsSync(socket)).toBe(false);
      expect(existsSync(join(hostDir, 'cli-test.pid'))).toBe(false);
    });
  },
);
