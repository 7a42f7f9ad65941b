import { EventEmitter } from 'node:events';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, startFakeDaemon, type FakeDaemon, type RunCliOptions } from '../fixtures/fake-daemon.js';

async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200; i += 1) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('tscr without a daemon', () => {
  it('names the socket it tried and exits 1 (125 for run)', async () => {
    const sock = 'unix:///tmp/tscr-test-cli-nodaemon/none.sock';
    const ps = await runCli(['-H', sock, 'ps']);
    expect(ps.code).toBe(1);
    expect(ps.stderr).toBe(`Cannot connect to the tscr daemon at ${sock}. Is tscrd running?\n`);
    const run = await runCli(['run', '--rm', 'busybox:test', 'true'], { env: { TSCR_HOST: sock } });
    expect(run.code).toBe(125);
    expect(run.stderr).toContain(`Cannot connect to the tscr daemon at ${sock}. Is tscrd running?`);
  });

  it.skipIf(existsSync('/run/tscr/tscr.sock'))('defaults to unix:///run/tscr/tscr.sock', async () => {
    const r = await runCli(['images']);
    expect(r.stderr).toBe('Cannot connect to the tscr daemon at unix:///run/tscr/tscr.sock. Is tscrd running?\n');
  });

  it('still prints the client section of version', async () => {
    const r = await runCli(['-H', '/tmp/tscr-test-cli-nodaemon/none.sock', 'version']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^Client:\n Version: +0\.1\.0\n/);
    expect(r.stderr).toContain('unix:///tmp/tscr-test-cli-nodaemon/none.sock');
  });
});

describe('tscr help and usage errors', () => {
  it('lists commands and shows per-command usage', async () => {
    const root = await runCli(['--help']);
    expect(root.code).toBe(0);
    expect(root.stdout).toMatch(/^Usage: {2}tscr \[OPTIONS\] COMMAND/);
    expect(root.stdout).toMatch(/\n {2}run +Create and run a new container from an image\n/);
    const run = await runCli(['run', '--help']);
    expect(run.stdout).toContain('Usage:  tscr run [OPTIONS] IMAGE [COMMAND] [ARG...]');
    expect(run.stdout).toMatch(/-e, --env list +Set environment variables/);
    expect((await runCli(['image'])).stdout).toMatch(/\n {2}import +Import the contents/);
    expect((await runCli(['help', 'ps'])).stdout).toContain('Usage:  tscr ps [OPTIONS]');
    expect((await runCli(['--version'])).stdout).toBe('tscr version 0.1.0\n');
  });

  it('rejects unknown flags with 125 for run and 1 otherwise', async () => {
    const run = await runCli(['run', '--bogus', 'img']);
    expect(run.code).toBe(125);
    expect(run.stderr).toBe("tscr: unknown flag: --bogus\nSee 'tscr run --help'.\n");
    const ps = await runCli(['ps', '--bogus']);
    expect(ps.code).toBe(1);
    expect(ps.stderr).toContain("See 'tscr ps --help'.");
  });

  it('rejects unknown commands and wrong argument counts', async () => {
    const r = await runCli(['frobnicate']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("'frobnicate' is not a tscr command.");
    const rm = await runCli(['rm']);
    expect(rm.code).toBe(1);
    expect(rm.stderr).toContain('"tscr rm" requires at least 1 argument.');
    expect((await runCli(['tag', 'a'])).stderr).toContain('requires exactly 2 arguments');
  });
});

describe('tscr against a fake daemon', () => {
  let d: FakeDaemon;
  const cli = (args: string[], opts: RunCliOptions = {}) => runCli(['-H', d.address, ...args], opts);

  beforeAll(async () => {
    d = await startFakeDaemon();
    d.images.add('busybox:test', 2_140_000, new Date(Date.now() - 125_000).toISOString());
  });
  afterAll(async () => {
    await d?.stop();
  });

  it('version shows client and server sections', async () => {
    const r = await cli(['version']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Client:\n/);
    expect(r.stdout).toMatch(/\nServer: tscr Engine\n Engine:\n {2}Version: +0\.1\.0\n/);
    expect(r.stdout).toMatch(/ runc:\n {2}Version: +runc version 1\.1\.5\n/);
    expect(r.stdout).toContain('OS/Arch:          linux/amd64');
  });

  it('info shows the daemon', async () => {
    const r = await cli(['info']);
    expect(r.stdout).toContain(' Containers: 3\n  Running: 1\n');
    expect(r.stdout).toContain(' Total Memory: 8GiB\n');
    expect(r.stdout).toContain('  image: local\n');
  });

  it('images lists familiar names in aligned columns', async () => {
    const r = await cli(['images']);
    const id = (await d.images.get('busybox:test')).id.slice(7, 19);
    expect(r.stdout).toBe(
      'REPOSITORY   TAG       IMAGE ID       CREATED         SIZE\n' +
        `busybox      test      ${id}   2 minutes ago   2.14MB\n`,
    );
    expect((await cli(['images', '-q'])).stdout).toBe(`${id}\n`);
    expect((await cli(['images', '--no-trunc', '-q'])).stdout).toBe(
      `sha256:${(await d.images.get('busybox:test')).id.slice(7)}\n`,
    );
  });

  it('import streams a file with --change and a reference, and prints the ID', async () => {
    const file = join(d.dir, 'rootfs.tar');
    const bytes = Buffer.alloc(300_000, 7);
    await writeFile(file, bytes);
    const r = await cli([
      'image',
      'import',
      '-c',
      'CMD ["sh"]',
      '--change',
      'ENV A=1',
      '-m',
      'hello',
      file,
      'imported:v1',
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^sha256:[0-9a-f]{64}\n$/);
    expect(d.images.lastImport?.bytes.equals(bytes)).toBe(true);
    expect(d.images.lastImport?.opts).toMatchObject({
      reference: 'imported:v1',
      message: 'hello',
      config: { cmd: ['sh'], env: ['A=1'] },
    });
  });

  it('import reads stdin for -', async () => {
    const r = await cli(['import', '-'], { stdin: Readable.from([Buffer.from('abc'), Buffer.from('def')]) });
    expect(r.code).toBe(0);
    expect(d.images.lastImport?.bytes.toString()).toBe('abcdef');
  });

  it('import reports a missing file', async () => {
    const r = await cli(['import', join(d.dir, 'missing.tar')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^Error: open .*missing\.tar/);
  });

  it('run streams stdout and stderr and exits with the container code; --rm frees the name', async () => {
    const hello = await cli(['run', '--rm', '--name', 'tscr-test-hello', 'busybox:test', 'echo', 'hello', 'world']);
    expect(hello).toMatchObject({ code: 0, stdout: 'hello world\n', stderr: '' });
    expect([...d.containers.containers.values()].some((c) => c.info.name === 'tscr-test-hello')).toBe(false);
    const err = await cli(['run', '--rm', 'busybox:test', 'err', 'oops']);
    expect(err).toMatchObject({ code: 0, stdout: '', stderr: 'oops\n' });
    expect((await cli(['run', '--rm', 'busybox:test', 'exit', '3'])).code).toBe(3);
  });

  it('run copies output byte for byte', async () => {
    const r = await cli(['run', '--rm', 'busybox:test', 'bytes']);
    expect(r.stdoutBytes.equals(Buffer.from(Uint8Array.from({ length: 256 }, (_, i) => i)))).toBe(true);
  });

  it('run maps start failures to 127 and 126, and removes --rm containers', async () => {
    const before = d.containers.containers.size;
    const nf = await cli(['run', '--rm', 'busybox:test', 'nope']);
    expect(nf.code).toBe(127);
    expect(nf.stderr).toContain('executable file not found');
    const ne = await cli(['run', 'busybox:test', 'noexec']);
    expect(ne.code).toBe(126);
    expect(d.containers.containers.size).toBe(before + 1);
    expect((await cli(['run', '-d', '--rm', 'busybox:test', 'nope'])).code).toBe(127);
    expect(d.containers.containers.size).toBe(before + 1);
  });

  it('run fails with 125 for a missing image and for -it without a stdin', async () => {
    const r = await cli(['run', '--pull', 'never', 'no-such-image:1']);
    expect(r.code).toBe(125);
    expect(r.stderr).toBe('Error: No such image: no-such-image:1\n');
    // The default, --pull missing, tries a pull first (this fake daemon has no registry layer).
    const pulled = await cli(['run', 'no-such-image:1']);
    expect(pulled.code).toBe(125);
    expect(pulled.stderr).toMatch(/^Unable to find image 'no-such-image:1' locally\nError: /);
    const it = await cli(['run', '-it', 'busybox:test', 'sh']);
    expect(it.code).toBe(125);
    expect(it.stderr).toBe('Error: stdin is not available\n');
  });

  it('run forwards Ctrl-C to the container', async () => {
    const signals = new EventEmitter();
    const running = cli(['run', '--rm', '--name', 'tscr-test-sleeper', 'busybox:test', 'sleep'], { signals });
    await until(
      () =>
        [...d.containers.containers.values()].some((c) => c.info.name === 'tscr-test-sleeper' && c.info.state.running),
      'the container to run',
    );
    signals.emit('SIGINT');
    const r = await running;
    expect(r.code).toBe(130);
    expect(d.containers.kills.at(-1)).toBe('SIGINT');
    expect(signals.listenerCount('SIGINT')).toBe(0);
  });

  it('run stops waiting at the third Ctrl-C when the container ignores SIGINT', async () => {
    const signals = new EventEmitter();
    const running = cli(['run', '--name', 'tscr-test-stubborn', 'busybox:test', 'ignore'], { signals });
    const stubborn = () => [...d.containers.containers.values()].find((c) => c.info.name === 'tscr-test-stubborn');
    await until(() => stubborn()?.info.state.running === true, 'the container to run');
    const kills = d.containers.kills.length;
    signals.emit('SIGINT');
    signals.emit('SIGINT');
    await until(() => d.containers.kills.length === kills + 2, 'two forwarded signals');
    signals.emit('SIGINT');
    const r = await running;
    expect(r.code).toBe(130);
    expect(r.stderr).toMatch(/stopped waiting; container [0-9a-f]{12} keeps running/);
    expect(stubborn()?.info.state.running).toBe(true);
    expect((await cli(['rm', '-f', 'tscr-test-stubborn'])).code).toBe(0);
  });

  it('run -d, ps, inspect, logs, stop, wait and rm work together', async () => {
    const started = await cli(['run', '-d', '--name', 'tscr-test-bg', '-l', 'a=b', 'busybox:test', 'sleep']);
    expect(started.code).toBe(0);
    const id = started.stdout.trim();
    expect(id).toMatch(/^[0-9a-f]{64}$/);

    const ps = await cli(['ps']);
    expect(ps.stdout.split('\n')[0]).toBe(
      'CONTAINER ID   IMAGE          COMMAND   CREATED                  STATUS                  PORTS     NAMES',
    );
    expect(ps.stdout).toContain(
      `${id.slice(0, 12)}   busybox:test   "sleep"   Less than a second ago   Up Less than a second             tscr-test-bg\n`,
    );
    expect((await cli(['ps', '-q', '--no-trunc'])).stdout).toBe(`${id}\n`);
    const json = JSON.parse((await cli(['ps', '--format', 'json'])).stdout.trim()) as Record<string, string>;
    expect(json).toMatchObject({
      ID: id.slice(0, 12),
      Names: 'tscr-test-bg',
      State: 'running',
      Labels: 'a=b',
      Command: '"sleep"',
    });
    expect((await cli(['ps', '--format', '{{.Names}}\\t{{.State}}'])).stdout).toBe('tscr-test-bg\trunning\n');

    // biome-ignore lint/suspicious/noExplicitAny: the CLI's JSON output, probed field by field
    const inspected = JSON.parse((await cli(['inspect', 'tscr-test-bg'])).stdout) as Record<string, any>[];
    expect(inspected).toHaveLength(1);
    expect(inspected[0]).toMatchObject({
      Id: id,
      Name: '/tscr-test-bg',
      Path: 'sleep',
      Args: [],
      State: { Status: 'running', Running: true, Pid: 4242, ExitCode: 0, FinishedAt: '0001-01-01T00:00:00Z' },
      Config: { Image: 'busybox:test', Cmd: ['sleep'], Labels: { a: 'b' } },
      HostConfig: { AutoRemove: false },
      LogPath: `/fake/${id}.log`,
    });
    expect((await cli(['inspect', '-f', '{{.State.Status}} {{.Name}}', id.slice(0, 8)])).stdout).toBe(
      'running /tscr-test-bg\n',
    );

    expect((await cli(['stop', '-t', '1', 'tscr-test-bg'])).stdout).toBe('tscr-test-bg\n');
    expect((await cli(['wait', 'tscr-test-bg'])).stdout).toBe('143\n');
    expect((await cli(['ps'])).stdout).not.toContain('tscr-test-bg');
    expect((await cli(['ps', '-a'])).stdout).toContain('Exited (143)');
    expect((await cli(['rm', 'tscr-test-bg'])).stdout).toBe('tscr-test-bg\n');
    expect(d.containers.containers.has(id)).toBe(false);
  });

  it('create then start -a, and logs with timestamps', async () => {
    const created = await cli(['create', '--name', 'tscr-test-logs', 'busybox:test', 'echo', 'line']);
    expect(created.code).toBe(0);
    const started = await cli(['start', '-a', 'tscr-test-logs']);
    expect(started).toMatchObject({ code: 0, stdout: 'line\n' });
    expect((await cli(['logs', 'tscr-test-logs'])).stdout).toBe('line\n');
    expect((await cli(['logs', '-t', 'tscr-test-logs'])).stdout).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z line\n$/);
    expect((await cli(['logs', '--tail', '0', 'tscr-test-logs'])).stdout).toBe('');
    expect((await cli(['rm', '-f', 'tscr-test-logs'])).code).toBe(0);
  });

  it('reports missing containers per argument and exits 1', async () => {
    const r = await cli(['rm', 'tscr-test-none-1', 'tscr-test-none-2']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('Error: No such container: tscr-test-none-1\nError: No such container: tscr-test-none-2\n');
    const i = await cli(['inspect', 'tscr-test-none-1']);
    expect(i).toMatchObject({ code: 1, stdout: '[]\n', stderr: 'Error: No such object: tscr-test-none-1\n' });
    expect((await cli(['kill', 'tscr-test-none-1'])).code).toBe(1);
  });

  it('inspects images, tags and removes them', async () => {
    expect((await cli(['tag', 'busybox:test', 'tscr-test/other:2'])).code).toBe(0);
    const inspected = await cli(['inspect', '--type', 'image', 'busybox:test']);
    // biome-ignore lint/suspicious/noExplicitAny: the CLI's JSON output, probed field by field
    const [img] = JSON.parse(inspected.stdout) as Record<string, any>[];
    expect(img).toMatchObject({
      RepoTags: ['busybox:test', 'tscr-test/other:2'],
      Os: 'linux',
      RootFS: { Type: 'layers' },
    });
    expect((await cli(['rmi', 'tscr-test/other:2'])).stdout).toBe('Untagged: tscr-test/other:2\n');
    const imported = (
      await cli(['import', '-', 'tscr-test-gone:1'], { stdin: Readable.from([Buffer.from('x')]) })
    ).stdout.trim();
    expect((await cli(['rmi', 'tscr-test-gone:1'])).stdout).toBe(`Untagged: tscr-test-gone:1\nDeleted: ${imported}\n`);
    expect((await cli(['image', 'inspect', 'tscr-test-gone:1'])).stderr).toBe(
      'Error: No such image: tscr-test-gone:1\n',
    );
  });

  it('events streams filtered events until Ctrl-C', async () => {
    const signals = new EventEmitter();
    const streaming = cli(['events', '--filter', 'type=container'], { signals });
    await until(() => d.system.subscribers > 0, 'an events subscriber');
    d.system.emit({ type: 'image', action: 'delete', id: 'sha256:x', attributes: {} });
    d.system.emit({ type: 'container', action: 'start', id: 'abc', attributes: { name: 'n', image: 'busybox:test' } });
    await new Promise((r) => setTimeout(r, 50));
    signals.emit('SIGINT');
    const r = await streaming;
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z container start abc \(image=busybox:test, name=n\)\n$/,
    );
  });
});
