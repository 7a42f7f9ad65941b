/**
 * End to end: the built `tscr` CLI against a real `tscrd` (built), running
 * real containers with runc + conmon + overlayfs. Root only.
 * Everything lives under /tmp/tscr-test-e2e-…, with cgroup parent tscr-test-….
 */
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { busyboxRootfsTar, uniqueName } from '@tscr/testkit';
import { cliShell, DAEMON, E2eDaemon, e2eSkipReason, mountsUnder, waitFor } from '../fixtures/e2e.js';

describe.skipIf(e2eSkipReason())('tscr CLI end to end', () => {
  let d: E2eDaemon;
  let dir = '';
  let host = '';
  const image = `${uniqueName('img')}:test`;
  const tscr = (args: string[], env: Record<string, string> = {}) => d.tscr(args, env);

  beforeAll(async () => {
    d = await E2eDaemon.create('e2e');
    dir = d.dir;
    host = d.host;
    await d.start();
    const tar = await busyboxRootfsTar(dir, join(dir, 'busybox.tar'));
    const r = tscr(['image', 'import', tar, image]);
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toMatch(/^sha256:[0-9a-f]{64}$/);
  }, 60_000);

  afterAll(() => d.cleanup());

  it('lists the imported image', () => {
    const r = tscr(['images']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(image.split(':')[0]);
  });

  it('runs a container and prints its output', () => {
    const r = tscr(['run', '--rm', image, 'echo', 'hello']);
    expect(r).toMatchObject({ code: 0, stdout: 'hello\n' });
  });

  it('keeps stdout and stderr apart', () => {
    const r = tscr(['run', '--rm', image, 'sh', '-c', 'echo out; echo err >&2']);
    expect(r.stdout).toBe('out\n');
    expect(r.stderr).toBe('err\n');
  });

  it('exits with the container exit code and removes it with --rm', () => {
    const before = tscr(['ps', '-a', '-q']).stdout;
    expect(tscr(['run', '--rm', image, 'sh', '-c', 'exit 3']).code).toBe(3);
    expect(tscr(['ps', '-a', '-q']).stdout).toBe(before);
  });

  it('exits 127 for a command missing from the image and leaves nothing behind', () => {
    const mounts = mountsUnder(dir).length;
    const before = tscr(['ps', '-a', '-q']).stdout;
    const r = tscr(['run', '--rm', image, 'no-such-command']);
    expect(r.code).toBe(127);
    expect(r.stderr).toMatch(/no-such-command.*not found|not found.*no-such-command/);
    expect(tscr(['ps', '-a', '-q']).stdout).toBe(before);
    expect(mountsUnder(dir).length).toBe(mounts);
  });

  it('ends quietly when its reader stops early (EPIPE), and --rm still removes the container', async () => {
    const name = uniqueName('epipe');
    const cli = cliShell();
    const piped = (cmd: string) =>
      spawnSync('bash', ['-c', `${cli} ${cmd} | head -1; echo "status=\${PIPESTATUS[0]}" >&2`], {
        env: d.env(),
        encoding: 'utf8',
        timeout: 60_000,
      });
    const run = piped(`run --rm --name ${name} ${image} seq 1 200000`);
    expect(run.stdout).toBe('1\n');
    expect(run.stderr).toBe('status=141\n');
    await waitFor(
      'the --rm container to go',
      () => !tscr(['ps', '-a', '--format', '{{.Names}}']).stdout.includes(name),
    );
    const logged = uniqueName('epipe-logs');
    expect(tscr(['run', '-d', '--name', logged, image, 'seq', '1', '200000']).code).toBe(0);
    expect(tscr(['wait', logged]).stdout).toBe('0\n');
    for (const args of [`logs ${logged}`, `logs -f ${logged}`]) {
      const r = piped(args);
      expect(r.stdout).toBe('1\n');
      expect(r.stderr).toBe('status=141\n');
    }
    expect(tscr(['rm', logged]).code).toBe(0);
  });

  it('applies -e, -w, -u, -h and --entrypoint', () => {
    const r = tscr([
      'run',
      '--rm',
      '-e',
      'FOO=bar',
      '-w',
      '/tmp',
      '-u',
      'tscr',
      '-h',
      'box1',
      image,
      'sh',
      '-c',
      'echo $FOO $(pwd) $(id -u) $(hostname) $$ $PATH',
    ]);
    expect(r.stdout.trim()).toBe('bar /tmp 1000 box1 1 /usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin');
    expect(tscr(['run', '--rm', '--entrypoint', 'echo', image, 'hi']).stdout).toBe('hi\n');
  });

  it('runs detached with real namespaces and an overlay root; ps, logs, inspect, stop, start, rm', () => {
    const name = uniqueName('web');
    const run = tscr(['run', '-d', '--name', name, image, 'sh', '-c', 'echo started; exec sleep 1000']);
    expect(run.code).toBe(0);
    const id = run.stdout.trim();
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    expect(tscr(['ps']).stdout).toContain(name);

    const info = JSON.parse(tscr(['inspect', name]).stdout)[0];
    expect(info.State.Running).toBe(true);
    const pid = info.State.Pid as number;
    expect(pid).toBeGreaterThan(0);
    const nsOf = (p: number | string, ns: string) =>
      spawnSync('readlink', [`/proc/${p}/ns/${ns}`], { encoding: 'utf8' }).stdout;
    for (const ns of ['pid', 'mnt', 'uts', 'ipc', 'net']) expect(nsOf(pid, ns), ns).not.toBe(nsOf('self', ns));
    // The overlay root is mounted inside the container's own mount namespace, over the image's layers.
    const root = readFileSync(`/proc/${pid}/mountinfo`, 'utf8')
      .split('\n')
      .find((l) => l.split(' ')[4] === '/');
    expect(root).toMatch(/ - overlay overlay .*lowerdir=/);
    expect(root).toContain(dir);

    const again = tscr(['run', '-d', '--name', name, image, 'true']);
    expect(again.code).toBe(125);
    expect(again.stderr).toMatch(/already in use/);

    let logs = '';
    for (let i = 0; i < 50 && !logs.includes('started'); i++) {
      logs = tscr(['logs', name]).stdout;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100);
    }
    expect(logs).toBe('started\n');

    const rm = tscr(['rm', name]);
    expect(rm.code).toBe(1);
    expect(rm.stderr).toMatch(/running/);

    expect(tscr(['stop', '-t', '1', name]).code).toBe(0);
    const stopped = JSON.parse(tscr(['inspect', name]).stdout)[0];
    expect(stopped.State.Running).toBe(false);
    expect(stopped.State.ExitCode).toBe(137); // sleep as PID 1 ignores SIGTERM: killed after -t
    expect(tscr(['ps']).stdout).not.toContain(name);
    expect(tscr(['ps', '-a']).stdout).toContain(name);

    expect(tscr(['start', name]).code).toBe(0);
    expect(JSON.parse(tscr(['inspect', name]).stdout)[0].State.Running).toBe(true);
    expect(tscr(['rm', '-f', name]).code).toBe(0);
    expect(tscr(['ps', '-a']).stdout).not.toContain(name);
    expect(mountsUnder(dir).some((l) => l.includes(id))).toBe(false);
  });

  it('keeps containers running across a kill -9 of the daemon, with logs and exit codes', async () => {
    const name = uniqueName('survivor');
    const id = tscr([
      'run',
      '-d',
      '--name',
      name,
      image,
      'sh',
      '-c',
      'echo before; trap "echo bye; exit 7" TERM; while true; do sleep 0.1; done',
    ]).stdout.trim();
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    await d.stop('SIGKILL');
    expect(tscr(['ps']).code).toBe(1); // the daemon is gone
    await d.start();
    expect(tscr(['ps']).stdout).toContain(name);
    expect(JSON.parse(tscr(['inspect', name]).stdout)[0].State.Running).toBe(true);
    expect(tscr(['logs', name]).stdout).toContain('before');
    expect(tscr(['stop', name]).code).toBe(0);
    const state = JSON.parse(tscr(['inspect', name]).stdout)[0].State;
    expect(state.ExitCode).toBe(7);
    expect(tscr(['logs', name]).stdout).toBe('before\nbye\n');
    expect(tscr(['rm', name]).code).toBe(0);
  });

  it('records the exit of a container that ended while the daemon was down', async () => {
    const name = uniqueName('brief');
    tscr(['run', '-d', '--name', name, image, 'sh', '-c', 'sleep 1; exit 5']);
    await d.stop('SIGKILL');
    await new Promise((r) => setTimeout(r, 1500));
    await d.start();
    const state = JSON.parse(tscr(['inspect', name]).stdout)[0].State;
    expect(state).toMatchObject({ Running: false, ExitCode: 5 });
    expect(tscr(['rm', name]).code).toBe(0);
  });

  it('gives clear errors for bad input', () => {
    const unknown = tscr(['run', '--rm', '--pull', 'never', 'tscr-test-no-such-image:1', 'true']);
    expect(unknown.code).toBe(125);
    expect(unknown.stderr).toMatch(/no such image/i);
    // By default a missing image is pulled first; no registry listens on 127.0.0.1:1.
    const unpulled = tscr(['run', '--rm', '127.0.0.1:1/tscr-test-no-such-image:1', 'true']);
    expect(unpulled.code).toBe(125);
    expect(unpulled.stderr).toMatch(/^Unable to find image '127\.0\.0\.1:1\/tscr-test-no-such-image:1' locally\n/);
    expect(unpulled.stderr).toMatch(/^Error: .*127\.0\.0\.1:1 unreachable/m);
    const malformed = tscr(['run', '--rm', 'Bad:Ref:X', 'true']);
    expect(malformed.code).toBe(125);
    expect(malformed.stderr).toMatch(/invalid reference/i);
    const down = tscr(['ps'], { TSCR_HOST: 'unix:///tmp/tscr-test-no-daemon.sock' });
    expect(down.code).toBe(1);
    expect(down.stderr).toContain('/tmp/tscr-test-no-daemon.sock');
    expect(tscr(['rm', 'tscr-test-no-such-container']).stderr).toMatch(/no such container/i);
  });

  it('serves its API on a root-only UNIX socket', () => {
    const mode = statSync(host.slice('unix://'.length)).mode;
    expect(mode & 0o777).toBe(0o600);
  });

  it('runs with the image config, and flags override it', () => {
    const configured = `${uniqueName('cfg')}:1`;
    const tar = join(dir, 'busybox.tar');
    const imp = tscr([
      'image',
      'import',
      '-c',
      'CMD ["sh", "-c", "echo $GREETING from $(pwd) as $(id -un)"]',
      '-c',
      'ENV GREETING=hello',
      '-c',
      'WORKDIR /tmp',
      '-c',
      'USER tscr',
      tar,
      configured,
    ]);
    expect(imp.code).toBe(0);
    expect(tscr(['run', '--rm', configured]).stdout).toBe('hello from /tmp as tscr\n');
    expect(tscr(['run', '--rm', '-e', 'GREETING=hi', '-w', '/', '-u', 'root', configured]).stdout).toBe(
      'hi from / as root\n',
    );
    expect(tscr(['run', '--rm', '--entrypoint', 'echo', configured, 'replaced']).stdout).toBe('replaced\n');
    expect(tscr(['rmi', configured]).code).toBe(0);
  });

  it('gives network none a namespace with only loopback, and host the host network', () => {
    const none = tscr(['run', '--rm', '--network', 'none', image, 'ls', '/sys/class/net'])
      .stdout.split(/\s+/)
      .filter(Boolean);
    expect(none).toEqual(['lo']);
    const hostIfs = readdirSync('/sys/class/net').sort();
    const inHost = tscr(['run', '--rm', '--network', 'host', image, 'ls', '/sys/class/net'])
      .stdout.split(/\s+/)
      .filter(Boolean);
    expect(inHost.sort()).toEqual(hostIfs);
  });

  it('lets one client talk to several daemons, over a UNIX socket or a TCP port', async () => {
    const port = await new Promise<number>((resolve) => {
      const srv = createServer().listen(0, '127.0.0.1', () => {
        const p = (srv.address() as { port: number }).port;
        srv.close(() => resolve(p));
      });
    });
    const second = `tcp://127.0.0.1:${port}`;
    const other = spawn(
      'node',
      [
        DAEMON,
        '--host',
        second,
        '--insecure-loopback',
        '--root',
        join(dir, 'root2'),
        '--exec-root',
        join(dir, 'exec2'),
        '--cgroup-parent',
        d.cgroupParent,
      ],
      { stdio: ['ignore', 'ignore', 'inherit'] },
    );
    try {
      await waitFor('a second tscrd', () => tscr(['--host', second, 'version']).code === 0);
      expect(tscr(['--host', second, 'images', '-q']).stdout).toBe('');
      expect(tscr(['images', '-q']).stdout).not.toBe('');
    } finally {
      other.kill('SIGTERM');
      await new Promise((r) => other.once('exit', r));
    }
  });

  it('prints version and info, and removes images', () => {
    expect(tscr(['version']).stdout).toMatch(/Server/);
    expect(tscr(['info']).code).toBe(0);
    const other = `${uniqueName('tag')}:x`;
    expect(tscr(['tag', image, other]).code).toBe(0);
    const rmi = tscr(['rmi', other]);
    expect(rmi.code).toBe(0);
    expect(rmi.stdout).toMatch(/Untagged/);
    expect(tscr(['images']).stdout).not.toContain(other.split(':')[0]);
  });
});
