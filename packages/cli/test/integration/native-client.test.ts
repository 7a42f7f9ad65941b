/**
 * The native `tscr` bin (native/tscr-client.c) against fake hosts: what it relays, when it falls back to
 * dist/main.cjs (here a shell script that prints a marker and its arguments), and how it starts the host.
 */
import { execFile, execFileSync, execSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  statSync,
  symlinkSync,
} from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  type Box,
  buildClient,
  FALLBACK_MARKER,
  fakeHostScript,
  frame,
  listenHost,
  makeBox,
  removeBox,
  runClient,
} from '../fixtures/native-client.js';

const hasCc = (() => {
  try {
    execSync(`command -v "${process.env.CC ?? 'cc'}"`, { stdio: 'ignore', shell: '/bin/sh' });
    return true;
  } catch {
    return false;
  }
})();

const realDist = fileURLToPath(new URL('../../dist', import.meta.url));
const installScript = fileURLToPath(new URL('../../native/install.cjs', import.meta.url));
const fallbackOut = (args: string[], v = '') => `${FALLBACK_MARKER}\n${args.map((a) => `[${a}]\n`).join('')}var=${v}\n`;
const ARGS = ['run', '--rm', '', 'two words', 'line\nbreak', 'ünï"\\'];

describe.skipIf(!hasCc || process.platform !== 'linux')('the native tscr bin (native/tscr-client.c)', () => {
  let work: string;
  let client: string;
  const boxes: Box[] = [];
  const servers: { close(): void }[] = [];
  const box = (host?: string | null) => {
    const b = host === undefined ? makeBox(client) : makeBox(client, host);
    boxes.push(b);
    return b;
  };
  const host = async (b: Box, serve: Parameters<typeof listenHost>[1]) => {
    const s = await listenHost(b, serve);
    servers.push(s);
    return s;
  };

  beforeAll(() => {
    work = mkdtempSync('/tmp/tscr-test-cliclient-build-');
    client = join(work, 'tscr');
    buildClient(client);
  });
  afterEach(() => {
    for (const s of servers.splice(0)) s.close();
    for (const b of boxes.splice(0)) removeBox(b);
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('relays stdout and stderr byte-exact (binary, large, interleaved) and the exit code', async () => {
    const b = box();
    const binary = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    const big = randomBytes(3 * 1024 * 1024 + 17);
    const errBig = randomBytes(1024 * 1024); // one frame of exactly 1 MiB
    await host(b, ({ socket }) => {
      socket.write(frame('A'));
      socket.write(frame('1', binary));
      socket.write(frame('2', 'err\0one\n'));
      // stdout in frames of uneven sizes (empty, 1 byte, 64 KiB, 1 MiB at most), split across socket writes
      const cuts = [0, 0, 1, 65537];
      while (cuts[cuts.length - 1] < big.length)
        cuts.push(Math.min(big.length, (cuts[cuts.length - 1] as number) + 1024 * 1024));
      const frames = Buffer.concat(cuts.slice(1).map((end, i) => frame('1', big.subarray(cuts[i], end))));
      for (let i = 0; i < frames.length; i += 77777) socket.write(frames.subarray(i, i + 77777));
      socket.write(frame('2', errBig));
      socket.write(frame('1', ''));
      socket.end(frame('X', Buffer.from([42])));
    });
    const r = await runClient(b, ['version']);
    expect(r.code).toBe(42);
    expect(r.stdout.equals(Buffer.concat([binary, big]))).toBe(true);
    expect(r.stderr.equals(Buffer.concat([Buffer.from('err\0one\n'), errBig]))).toBe(true);
  });

  it('runs with stdin and stdout closed (they are /dev/null then, never the socket)', async () => {
    const b = box();
    const s = await host(b, ({ socket }) =>
      socket.end(
        Buffer.concat([frame('A'), frame('1', 'output\n'), frame('2', 'err\n'), frame('X', Buffer.from([5]))]),
      ),
    );
    const r = await promisify(execFile)('sh', ['-c', `exec 0<&- 1>&-; ${b.bin} ps; echo "code=$?" >&2`], {
      env: { PATH: process.env.PATH ?? '', TSCR_CLI_HOST_DIR: b.hostDir },
    });
    expect(r.stderr).toBe('err\ncode=5\n');
    await new Promise((res) => setTimeout(res, 100));
    expect(s.unexpected).toBe(0);
  });

  it('sends the request: argv, the whole environment, cwd, tty flags and size', async () => {
    const b = box();
    const requests: Record<string, unknown>[] = [];
    await host(b, ({ socket, request }) => {
      requests.push(request);
      socket.end(Buffer.concat([frame('A'), frame('X', Buffer.from([0]))]));
    });
    const env = { TSCR_TEST_VAR: 'q"uo\\te\nnl\u0001ctl ünï €', 'TSCR_TEST=EQ': 'x', EMPTY: '' };
    const cwd = mkdtempSync(join(b.root, 'cwd-'));
    expect((await runClient(b, ARGS, env, { cwd })).code).toBe(0);
    expect(requests[0]).toEqual({
      v: 1,
      argv: ARGS,
      env: {
        PATH: process.env.PATH ?? '',
        TSCR_CLI_HOST_DIR: b.hostDir,
        TSCR_TEST: 'EQ=x',
        TSCR_TEST_VAR: env.TSCR_TEST_VAR,
        EMPTY: '',
      },
      cwd: realpathSync(cwd),
      tty: [false, false, false],
      cols: 0,
      rows: 0,
    });
    // On a terminal (script(1) gives the client a pty on all three): tty flags and the window size.
    // (Not execFileSync: the host answering it runs in this process.)
    await promisify(execFile)('script', ['-qec', `stty cols 123 rows 45; ${b.bin} tty-check`, '/dev/null'], {
      env: { PATH: process.env.PATH ?? '', TSCR_CLI_HOST_DIR: b.hostDir },
    });
    expect(requests[1]).toMatchObject({ argv: ['tty-check'], tty: [true, true, true], cols: 123, rows: 45 });
  });

  it('falls back with the same argv and environment on F, and on EOF before A', async () => {
    const b = box();
    let n = 0;
    const s = await host(b, ({ socket }) => {
      n++;
      if (n === 1) socket.end(frame('F', 'not hosted: tscr-test'));
      else socket.end(); // EOF before A
    });
    for (let i = 0; i < 2; i++) {
      const r = await runClient(b, ARGS, { TSCR_TEST_VAR: 'kept' });
      expect(r).toMatchObject({ code: 0, stderr: Buffer.alloc(0) });
      expect(r.stdout.toString()).toBe(fallbackOut(ARGS, 'kept'));
    }
    expect(s.connections).toBe(2);
  });

  it('exits 1 with a message naming the log when the host ends after A, or breaks the protocol', async () => {
    const b = box();
    const answers = [
      Buffer.concat([frame('A'), frame('1', 'partial')]),
      Buffer.concat([frame('A'), frame('1').subarray(0, 3)]),
      Buffer.concat([frame('A'), Buffer.from([0x31, 0, 0x10, 0, 1])]), // stdout frame of 1 MiB + 1
      Buffer.concat([frame('A'), frame('Z', 'x')]),
      frame('1', 'before A'),
    ];
    await host(b, ({ socket }) => socket.end(answers.shift() ?? Buffer.alloc(0)));
    for (const want of [
      'ended before the command finished',
      'ended before',
      'over 1 MiB',
      'unexpected frame',
      'unexpected frame',
    ]) {
      const r = await runClient(b, ['logs', 'x']);
      expect(r.code).toBe(1);
      expect(r.stderr.toString()).toContain(want);
      expect(r.stderr.toString()).toContain(b.hostFile('log'));
      expect(r.stdout.toString()).not.toContain(FALLBACK_MARKER);
    }
  });

  it('falls back without touching the directory: TSCR_CLI_HOST=0, no cli-host.cjs', async () => {
    const b = box();
    const s = await host(b, ({ socket }) => socket.end(Buffer.concat([frame('A'), frame('X', Buffer.from([0]))])));
    const r = await runClient(b, ['ps'], { TSCR_CLI_HOST: '0' });
    expect(r.stdout.toString()).toBe(fallbackOut(['ps']));
    const absent = join(b.root, 'absent');
    expect((await runClient(b, ['ps'], { TSCR_CLI_HOST: '0', TSCR_CLI_HOST_DIR: absent })).stdout.toString()).toBe(
      fallbackOut(['ps']),
    );
    expect(existsSync(absent)).toBe(false);
    expect(s.connections).toBe(0);
    const noHost = box(null);
    const dir = join(noHost.root, 'made');
    expect((await runClient(noHost, ['ps'], { TSCR_CLI_HOST_DIR: dir })).stdout.toString()).toBe(fallbackOut(['ps']));
    expect(existsSync(dir)).toBe(false);
  });

  it('uses only a directory of its own: not another uid, no group/other bits, no symlink, absolute', async () => {
    const b = box();
    const s = await host(b, ({ socket }) => socket.end(Buffer.concat([frame('A'), frame('X', Buffer.from([7]))])));
    expect((await runClient(b, ['ps'])).code).toBe(7); // the directory as made: served
    const link = join(b.root, 'link');
    symlinkSync(b.hostDir, link);
    const linked = await runClient(b, ['ps'], { TSCR_CLI_HOST_DIR: link });
    expect(linked.stdout.toString()).toBe(fallbackOut(['ps']));
    expect((await runClient(b, ['ps'], { TSCR_CLI_HOST_DIR: 'hostdir' })).stdout.toString()).toBe(fallbackOut(['ps']));
    for (const mode of [0o750, 0o701, 0o1700 | 0o007]) {
      execFileSync('chmod', [mode.toString(8), b.hostDir]);
      expect((await runClient(b, ['ps'])).stdout.toString()).toBe(fallbackOut(['ps']));
    }
    execFileSync('chmod', ['700', b.hostDir]);
    if (process.getuid?.() === 0) {
      chownSync(b.hostDir, 65534, 65534);
      expect((await runClient(b, ['ps'])).stdout.toString()).toBe(fallbackOut(['ps']));
      chownSync(b.hostDir, 0, 0);
    }
    expect(s.connections).toBe(1);
    // A missing directory is made 0700 (the host it starts here exits at once: this run falls back).
    const fresh = join(b.root, 'fresh');
    expect((await runClient(b, ['ps'], { TSCR_CLI_HOST_DIR: fresh })).stdout.toString()).toBe(fallbackOut(['ps']));
    expect(statSync(fresh).mode & 0o7777).toBe(0o700);
  });

  it('forwards INT, TERM, HUP and QUIT as S frames while connected', async () => {
    const b = box();
    const got: number[] = [];
    let pid = 0;
    await host(b, async (conn) => {
      conn.socket.write(frame('A'));
      for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'] as const) {
        process.kill(pid, sig);
        got.push(await conn.nextSignal());
      }
      conn.socket.end(Buffer.concat([frame('2', 'done\n'), frame('X', Buffer.from([130]))]));
    });
    const r = await runClient(b, ['run', 'img'], {}, { onSpawn: (p) => (pid = p) });
    expect(got).toEqual([2, 15, 1, 3]);
    expect(r).toMatchObject({ code: 130, signal: null });
    expect(r.stderr.toString()).toBe('done\n');
    // Also when started with SIGINT ignored (a background job): Node would reset it, so the client does too.
    // (`exec` keeps the shell's pid: the client is the process signalled.)
    got.length = 0;
    const ignored = await runClient(
      b,
      ['-c', `trap '' INT HUP; exec ${b.bin} run img`],
      {},
      {
        bin: '/bin/sh',
        onSpawn: (p) => (pid = p),
      },
    );
    expect(got).toEqual([2, 15, 1, 3]);
    expect(ignored.code).toBe(130);
  });

  it('install.cjs keeps a dist/tscr that runs and replaces one that cannot run with dist/main.cjs', () => {
    const b = box();
    const pkg = join(b.root, 'pkg');
    mkdirSync(join(pkg, 'native'), { recursive: true });
    mkdirSync(join(pkg, 'dist'));
    copyFileSync(installScript, join(pkg, 'native', 'install.cjs'));
    copyFileSync(join(b.root, 'bin', 'main.cjs'), join(pkg, 'dist', 'main.cjs'));
    const tscr = join(pkg, 'dist', 'tscr');
    copyFileSync(client, tscr);
    execFileSync(process.execPath, [join(pkg, 'native', 'install.cjs')], { stdio: 'ignore' });
    expect(readFileSync(tscr).equals(readFileSync(client))).toBe(true);
    chmodSync(tscr, 0o644); // cannot run (as a binary of another platform cannot)
    execFileSync(process.execPath, [join(pkg, 'native', 'install.cjs')], { stdio: 'ignore' });
    expect(readFileSync(tscr, 'utf8')).toBe(readFileSync(join(pkg, 'dist', 'main.cjs'), 'utf8'));
    expect(statSync(tscr).mode & 0o777).toBe(0o755);
  });

  // After the CLI host is built (dist/cli-host.cjs): the real host serves the client; no daemon needed for `version`
  // to print the same as the Node bin (the client part, then the connection error).
  it.skipIf(!existsSync(join(realDist, 'cli-host.cjs')))(
    'is served by the real CLI host (dist/cli-host.cjs)',
    async () => {
      const b = box();
      cpSync(realDist, join(b.root, 'bin'), { recursive: true, filter: (f) => !f.endsWith('/tscr') });
      const env = { TSCR_HOST: `unix://${b.root}/tscr-test-no-daemon.sock`, XDG_CACHE_HOME: join(b.root, 'cache') };
      const want = await runClient(b, ['version'], { ...env, TSCR_CLI_HOST: '0' });
      expect(want.stdout.toString()).toMatch(/^Client:/);
      expect(await runClient(b, ['version'], env)).toEqual(want); // starts the host, falls back
      for (let i = 0; i < 200 && !existsSync(b.hostFile('pid')); i++) await new Promise((r) => setTimeout(r, 50));
      // Without node on PATH the fallback (`exec node`) cannot run: this one goes through the host.
      expect(await runClient(b, ['version'], { ...env, PATH: '/nonexistent' })).toEqual(want);
    },
  );

  it('30 clients at once with no host start exactly one, detached, holding the lock; later runs are hosted', async () => {
    const b = box(fakeHostScript());
    const env = { TSCR_TEST_VAR: 'first', TSCR_TEST_HOST_DELAY: '300' };
    const runs = await Promise.all(
      Array.from({ length: 30 }, () => runClient(b, ['ps', '-a'], env, { extraPipe: true })),
    );
    for (const r of runs) {
      expect(r.code).toBe(0);
      expect([fallbackOut(['ps', '-a'], 'first'), 'hosted ["ps","-a"]\n']).toContain(r.stdout.toString());
    }
    const starts = () => readdirSync(b.hostDir).filter((f) => f.startsWith('tscr-test-start-'));
    for (let i = 0; i < 100 && !existsSync(b.hostFile('pid')); i++) await new Promise((r) => setTimeout(r, 50));
    expect(starts()).toHaveLength(1);
    const info = JSON.parse(readFileSync(join(b.hostDir, starts()[0] as string), 'utf8'));
    expect(info).toMatchObject({
      argv: ['--socket', b.socketPath()],
      cwd: '/',
      stdin: '/dev/null',
      stdout: b.hostFile('log'),
      lockIno: Number(statSync(b.hostFile('lock')).ino),
      env: 'first',
    });
    expect(info.sid).not.toBe(info.pid); // a session of its own, not its leader: it cannot get a terminal back
    expect(statSync(b.hostFile('lock')).mode & 0o777).toBe(0o600);
    // The host holds the lock (its fd 3): nobody else can take it.
    expect(() => execFileSync('flock', ['-n', b.hostFile('lock'), 'true'])).toThrow();
    expect((await runClient(b, ['ps'])).stdout.toString()).toBe('hosted ["ps"]\n');
    // Once the host is gone (a stale socket stays), the next client starts another.
    process.kill(Number(readFileSync(b.hostFile('pid'), 'utf8')), 'SIGKILL');
    for (let i = 0; i < 100; i++) {
      try {
        execFileSync('flock', ['-n', b.hostFile('lock'), 'true']);
        break;
      } catch {
        await new Promise((r) => setTimeout(r, 20));
      }
    }
    expect((await runClient(b, ['ps'])).stdout.toString()).toBe(fallbackOut(['ps']));
    for (let i = 0; i < 100 && starts().length < 2; i++) await new Promise((r) => setTimeout(r, 50));
    expect(starts()).toHaveLength(2);
    const second = starts().find((f) => f !== `tscr-test-start-${info.pid}.json`);
    const pidFile = () => (existsSync(b.hostFile('pid')) ? readFileSync(b.hostFile('pid'), 'utf8') : '');
    for (let i = 0; i < 100 && `tscr-test-start-${pidFile()}.json` !== second; i++)
      await new Promise((r) => setTimeout(r, 50));
    expect((await runClient(b, ['ps'])).stdout.toString()).toBe('hosted ["ps"]\n'); // afterEach kills it by its pid file
  });
});
