import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir } from '@tscr/testkit';
import { rm } from 'node:fs/promises';
import { decideHosting } from '../../src/host/hostable.js';
import type { HostRequest } from '../../src/host/request.js';

describe('which requests the CLI host runs', () => {
  let home = '';
  const sock = 'unix:///tmp/tscr-test-host/tscr.sock';
  const req = (argv: string[], env: Record<string, string> = {}): HostRequest => ({
    argv,
    env: { HOME: home, TSCR_HOST: sock, ...env },
    cwd: '/',
    tty: [false, false, false],
    cols: 0,
    rows: 0,
  });
  const decide = (argv: string[], env?: Record<string, string>, hostEnv: Record<string, string> = {}) =>
    decideHosting(req(argv, env), hostEnv);

  beforeAll(async () => {
    home = await makeTempDir('host-hostable');
    const ctx = join(home, '.tscr', 'contexts', 'remote');
    mkdirSync(ctx, { recursive: true });
    writeFileSync(join(ctx, 'meta.json'), JSON.stringify({ host: 'tcp://127.0.0.1:2376' }));
    const local = join(home, '.tscr', 'contexts', 'local');
    mkdirSync(local, { recursive: true });
    writeFileSync(join(local, 'meta.json'), JSON.stringify({ host: 'unix:///tmp/tscr-test-host/other.sock' }));
  });
  afterAll(() => rm(home, { recursive: true, force: true }));

  it.each([
    [['version']],
    [['--version']],
    [['ps', '-a']],
    [['container', 'ls']],
    [['run', '--rm', '--network', 'none', 'busybox', 'true']],
    [['run', '-d', 'busybox', 'sleep', '9']],
    [['create', 'busybox']],
    [['start', '-a', 'c1']],
    [['stop', 'c1']],
    [['kill', 'c1']],
    [['wait', 'c1']],
    [['rm', '-f', 'c1']],
    [['images']],
    [['inspect', 'c1']],
    [['logs', '-f', 'c1']],
    [['exec', 'c1', 'true']],
    [['info']],
    [['ps', '--bogus']],
    [['ps', '--help']],
    [['run', '--env-file', '/etc/env', 'busybox']],
    [['run', '--security-opt', 'seccomp=/etc/seccomp.json', 'busybox']],
    [['run', '--security-opt', 'seccomp=unconfined', 'busybox']],
    [['--context', 'local', 'ps']],
    [['-H', '/tmp/tscr-test-host/x.sock', 'ps']],
  ])('hosts %j', async (argv) => {
    expect(await decide(argv)).toMatchObject({ hosted: true });
  });

  it('names the daemon it resolved', async () => {
    expect(await decide(['ps'])).toEqual({ hosted: true, target: { address: sock } });
    expect(await decide(['--context', 'local', 'ps'])).toMatchObject({
      target: { address: 'unix:///tmp/tscr-test-host/other.sock', context: 'local' },
    });
  });

  it.each([
    [['run', '-it', 'busybox'], /reads stdin/],
    [['run', '-i', 'busybox'], /reads stdin/],
    [['run', '-t', 'busybox'], /terminal/],
    [['run', '--interactive', 'busybox'], /reads stdin/],
    [['run', '--tty=true', 'busybox'], /terminal/],
    [['run', '-a', 'STDIN', 'busybox'], /stdin/],
    [['create', '-i', 'busybox'], /stdin/],
    [['start', '-i', 'c1'], /stdin/],
    [['exec', '-it', 'c1', 'sh'], /stdin/],
    [['run', '--env-file', 'env.list', 'busybox'], /relative/],
    [['run', '--security-opt', 'seccomp=./p.json', 'busybox'], /relative/],
    [['frob'], /not a command/],
    [[], /not a command/],
    [['help'], /not a command/],
    [['help', 'ps'], /not a command/],
    [['image'], /not a command/],
    [['build', '.'], /not hosted/],
    [['image', 'import', '-', 'x'], /not hosted/],
    [['events'], /not hosted/],
    [['context', 'ls'], /not hosted/],
    [['--frob', 'ps'], /global flags/],
    [['-H', 'tcp://127.0.0.1:2376', 'ps'], /not a local socket/],
    [['--context', 'remote', 'ps'], /not a local socket/],
    [['--context', 'gone', 'ps'], /cannot be resolved/],
    [['--tlsverify', 'ps'], /cannot be resolved|TLS/],
  ])('falls back for %j', async (argv, reason) => {
    expect(await decide(argv)).toEqual({ hosted: false, reason: expect.stringMatching(reason) });
  });

  it('falls back for TCP and TLS from the environment, tracing, and TSCR_CLI_HOST=0', async () => {
    expect(await decide(['ps'], { TSCR_HOST: 'tcp://127.0.0.1:2376' })).toMatchObject({ hosted: false });
    expect(await decide(['ps'], { TSCR_CONTEXT: 'remote', TSCR_HOST: '' })).toMatchObject({ hosted: false });
    expect(await decide(['ps'], { TSCR_STARTUP_TRACE: '1' })).toMatchObject({ hosted: false });
    expect(await decide(['ps'], { TSCR_CLI_HOST: '0' })).toMatchObject({ hosted: false });
  });

  it('falls back when a variable read from process.env differs from the host own', async () => {
    expect(await decide(['ps'], { TSCR_WIRE: 'node-http2' })).toEqual({
      hosted: false,
      reason: expect.stringMatching(/TSCR_WIRE/),
    });
    expect(await decide(['ps'], { TSCR_WIRE: 'node-http2' }, { TSCR_WIRE: 'node-http2' })).toMatchObject({
      hosted: true,
    });
    expect(await decide(['ps'], {}, { TSCR_TRACE: '/tmp/t' })).toMatchObject({ hosted: false });
  });
});
