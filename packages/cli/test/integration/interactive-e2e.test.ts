/**
 * End to end: `run -it`, `attach`, `exec` and `start -ai` with the built CLI
 * against a real daemon. A real terminal comes from util-linux `script`,
 * which runs the CLI on a fresh pty whose master is wired to pipes here.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { busyboxRootfsTar, uniqueName } from '@tscr/testkit';
import { CLI, cliShell, E2eDaemon, e2eSkipReason } from '../fixtures/e2e.js';

/** Every session started, so a failed test leaves no `script` behind. */
const sessions: PtySession[] = [];

/** A CLI run on its own pty: type into it, read what the terminal shows. */
class PtySession {
  readonly child: ChildProcess;
  text = '';
  readonly exited: Promise<number | null>;
  private waiters: (() => void)[] = [];

  constructor(command: string, env: NodeJS.ProcessEnv) {
    // -e: exit with the child's code; -f: flush at once; -c: the command (via $SHELL -c).
    this.child = spawn('script', ['-qfec', command, '/dev/null'], {
      env: { ...env, SHELL: '/bin/sh' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.child.stdout?.on('data', (d: Buffer) => {
      this.text += d.toString();
      for (const w of this.waiters.splice(0)) w();
    });
    this.child.stderr?.on('data', (d: Buffer) => {
      this.text += d.toString();
    });
    this.exited = new Promise((resolve) => this.child.on('close', (code) => resolve(code)));
    sessions.push(this);
  }

  type(keys: string): void {
    this.child.stdin?.write(keys);
  }

  /** Waits until the terminal has shown `pattern` after `from` (an index into {@link text}). */
  async waitFor(pattern: string | RegExp, from = 0): Promise<void> {
    const seen = () => {
      const t = this.text.slice(from);
      return typeof pattern === 'string' ? t.includes(pattern) : pattern.test(t);
    };
    while (!seen()) {
      const closed = this.child.exitCode !== null;
      if (closed) throw new Error(`session ended before ${String(pattern)}: ${JSON.stringify(this.text)}`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        this.child.once('close', () => resolve());
      });
    }
  }

  /** Types `keys` again and again (a shell may not read them yet) until `pattern` shows. */
  async typeUntil(keys: string, pattern: string | RegExp): Promise<void> {
    const from = this.text.length;
    for (let i = 0; i < 50; i++) {
      this.type(keys);
      const shown = await Promise.race([
        this.waitFor(pattern, from).then(() => true),
        new Promise<false>((r) => setTimeout(() => r(false), 200)),
      ]);
      if (shown) return;
    }
    throw new Error(`never saw ${String(pattern)}: ${JSON.stringify(this.text.slice(from))}`);
  }

  /** The pty the CLI runs on (its stdin), found through /proc. */
  cliTty(): string {
    for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
      try {
        const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
        if (cmd[0] === 'node' || cmd[0]?.endsWith('/node')) {
          if (cmd[1] === CLI && isDescendant(Number(pid), this.child.pid!)) return readlinkSync(`/proc/${pid}/fd/0`);
        }
      } catch {
        /* gone */
      }
    }
    throw new Error('the CLI process is not running');
  }
}

/** True when `pid` descends from `ancestor`. */
function isDescendant(pid: number, ancestor: number): boolean {
  for (let p = pid; p > 1; ) {
    if (p === ancestor) return true;
    const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
    p = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  }
  return false;
}

describe.skipIf(e2eSkipReason())('tscr interactive end to end (TTY, stdin, exec)', () => {
  let d: E2eDaemon;
  const image = `${uniqueName('img')}:test`;
  const tscr = (args: string[], input?: string) => d.tscr(args, {}, input);
  const cli = (args: string) => `stty rows 30 cols 100; exec ${cliShell()} ${args}`;

  beforeAll(async () => {
    d = await E2eDaemon.create('e2e-tty');
    await d.start();
    const tar = await busyboxRootfsTar(d.dir, join(d.dir, 'busybox.tar'));
    expect(tscr(['image', 'import', tar, image]).code).toBe(0);
  }, 60_000);

  afterAll(async () => {
    for (const s of sessions) if (s.child.exitCode === null && s.child.pid) process.kill(s.child.pid, 'SIGKILL');
    await d.cleanup();
  });

  it('run -it: a terminal with line editing, Ctrl-C, resize, and the detach keys', async () => {
    const name = uniqueName('tty');
    const s = new PtySession(cli(`run -it --network none --name ${name} ${image} sh`), d.env());
    await s.typeUntil('stty size\r', '30 100');
    // Line editing: the terminal's erase key removes the typo.
    let from = s.text.length;
    s.type('echo hellx\x7fo\r');
    await s.waitFor('\nhello\r', from);
    // Ctrl-C reaches the container's foreground process, not the CLI.
    s.type('sleep 100\r');
    // ^C once sleep runs (typed earlier, it would reach the shell only).
    for (let i = 0; i < 100 && tscr(['exec', name, 'pidof', 'sleep']).code !== 0; i++) {
      await new Promise((res) => setTimeout(res, 100));
    }
    s.type('\x03');
    await s.typeUntil('echo back$((1+1))\r', 'back2');
    // A resize of our terminal reaches the container's.
    const { spawnSync } = await import('node:child_process');
    expect(spawnSync('stty', ['-F', s.cliTty(), 'rows', '40', 'cols', '120']).status).toBe(0);
    await s.typeUntil('stty size\r', '40 120');
    // Ctrl-P Ctrl-Q: the CLI leaves, the container runs on.
    from = s.text.length;
    s.type('\x10\x11');
    expect(await s.exited).toBe(0);
    expect(tscr(['inspect', '-f', '{{.State.Running}}', name]).stdout.trim()).toBe('true');

    // attach re-joins; exit ends the container and the CLI with its code.
    const a = new PtySession(cli(`attach ${name}`), d.env());
    await a.typeUntil('echo again$((2+2))\r', 'again4');
    a.type('exit 3\r');
    expect(await a.exited).toBe(3);
    tscr(['rm', '-f', name]);
  });

  it('live-restore: a -dit container outlives kill -9 of the daemon and can be attached after', async () => {
    const name = uniqueName('restore');
    expect(tscr(['run', '-dit', '--network', 'none', '--name', name, image, 'sh']).code).toBe(0);
    await d.stop('SIGKILL');
    await d.start();
    const a = new PtySession(cli(`attach ${name}`), d.env());
    await a.typeUntil('echo alive$((3+4))\r', 'alive7');
    a.type('exit 9\r');
    expect(await a.exited).toBe(9);
    expect(tscr(['inspect', '-f', '{{.State.ExitCode}}', name]).stdout.trim()).toBe('9');
    tscr(['rm', '-f', name]);
  });

  it('--detach-keys, start -ai', async () => {
    const name = uniqueName('keys');
    const s = new PtySession(cli(`run -it --network none --detach-keys ctrl-x,x --name ${name} ${image} sh`), d.env());
    await s.typeUntil('echo up\r', 'up');
    s.type('\x18x');
    expect(await s.exited).toBe(0);
    expect(tscr(['stop', '-t', '1', name]).code).toBe(0);
    const again = new PtySession(cli(`start -ai ${name}`), d.env());
    await again.typeUntil('echo restarted\r', 'restarted');
    again.type('exit 2\r');
    expect(await again.exited).toBe(2);
    tscr(['rm', '-f', name]);
    // run -it --rm: the exit code comes back once the container is gone.
    const gone = uniqueName('rm');
    const r = new PtySession(cli(`run -it --rm --network none --name ${gone} ${image} sh`), d.env());
    await r.typeUntil('echo bye\r', 'bye');
    r.type('exit 7\r');
    expect(await r.exited).toBe(7);
    expect(tscr(['inspect', gone]).code).not.toBe(0);
  });

  it('run -i without a TTY pipes stdin (EOF closes it) and keeps stdout and stderr apart', () => {
    const r = tscr(['run', '-i', '--rm', '--network', 'none', image, 'sh', '-c', 'cat; echo done >&2'], 'abc\n');
    expect(r).toMatchObject({ code: 0, stdout: 'abc\n', stderr: 'done\n' });
    const onlyOut = tscr(['run', '--rm', '-a', 'stdout', '--network', 'none', image, 'sh', '-c', 'echo o; echo e >&2']);
    expect(onlyOut).toMatchObject({ code: 0, stdout: 'o\n', stderr: '' });
    const bad = tscr(['run', '--rm', '--detach-keys', 'ctrl-', image, 'true']);
    expect(bad.code).toBe(125);
  });

  it('exec: exit code, -e -w -u, -i, -d, 126/127 and a stopped container', async () => {
    const name = uniqueName('exec');
    expect(tscr(['run', '-d', '--network', 'none', '--name', name, image, 'sleep', '3600']).code).toBe(0);
    const r = tscr([
      'exec',
      '-e',
      'A=1',
      '-w',
      '/tmp',
      '-u',
      '1000',
      name,
      'sh',
      '-c',
      'echo $A $(pwd) $(id -u); exit 5',
    ]);
    expect(r).toMatchObject({ code: 5, stdout: '1 /tmp 1000\n' });
    expect(tscr(['exec', '-i', name, 'sh', '-c', 'cat; echo err >&2'], 'piped\n')).toMatchObject({
      code: 0,
      stdout: 'piped\n',
      stderr: 'err\n',
    });
    expect(tscr(['exec', '-d', name, 'sh', '-c', 'echo bg > /tmp/bg']).code).toBe(0);
    const bg = () => tscr(['exec', name, 'cat', '/tmp/bg']).stdout;
    for (let i = 0; i < 50 && bg() !== 'bg\n'; i++) await new Promise((res) => setTimeout(res, 100));
    expect(bg()).toBe('bg\n');
    const missing = tscr(['exec', name, 'nosuchcommand']);
    expect(missing.code).toBe(127);
    expect(missing.stderr).toMatch(/executable file not found/);
    expect(tscr(['exec', name, '/etc/passwd']).code).toBe(126);
    expect(tscr(['exec', '-u', 'nosuchuser', name, 'true']).code).toBe(126);

    const t = new PtySession(cli(`exec -it ${name} sh`), d.env());
    await t.typeUntil('stty size; tty\r', /30 100[\s\S]*\/dev\/pts\//);
    t.type('exit 4\r');
    expect(await t.exited).toBe(4);

    tscr(['stop', '-t', '1', name]);
    const stopped = tscr(['exec', name, 'true']);
    expect(stopped.code).toBe(1);
    expect(stopped.stderr).toMatch(/is not running/);
    tscr(['rm', '-f', name]);
  });
});
