/**
 * Container control end to end: the built `tscr` against a real `tscrd`:
 * limits (OOM kill, update), pause/unpause, restart, rename, top, stats,
 * diff, export and cp in both directions. Root only; everything lives under
 * /tmp/tscr-test-control-… with cgroup parent tscr-test-….
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { chown, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { busyboxRootfsTar, uniqueName } from '@tscr/testkit';
import { cliCommand, E2eDaemon, e2eSkipReason, mountsUnder, type Result } from '../fixtures/e2e.js';

const skip = e2eSkipReason();
const MiB = 1024 * 1024;

describe.skipIf(skip)('tscr container control end to end', () => {
  let d: E2eDaemon;
  let dir = '';
  const image = `${uniqueName('cimg')}:test`;

  const tscr = (args: string[], input?: string): Result => d.tscr(args, {}, input);
  const ok = (args: string[]): string => {
    const r = tscr(args);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    return r.stdout;
  };
  const inspect = (name: string, format: string) => ok(['inspect', '-f', format, name]).trim();
  const runDetached = (args: string[]) => ok(['run', '-d', ...args]).trim();

  beforeAll(async () => {
    d = await E2eDaemon.create('control');
    dir = d.dir;
    await d.start();
    const tar = await busyboxRootfsTar(dir, join(dir, 'busybox.tar'));
    ok(['image', 'import', tar, image]);
  }, 60_000);

  afterAll(() => d?.cleanup());

  it('OOM-kills a container over --memory: inspect says OOMKilled, exit 137', () => {
    const name = uniqueName('oom');
    const r = tscr([
      'run',
      '--name',
      name,
      '--memory',
      '16m',
      '--memory-swap',
      '16m',
      image,
      'sh',
      '-c',
      'x=a; while true; do x=$x$x; done',
    ]);
    expect(r.code).toBe(137);
    expect(inspect(name, '{{.State.OOMKilled}} {{.State.ExitCode}}')).toBe('true 137');
    expect(inspect(name, '{{.HostConfig.Memory}}')).toBe(String(16 * MiB));
  });

  it('refuses a memory limit below 6 MiB and a ulimit above the host hard limit', () => {
    const low = tscr(['create', '--memory', '4m', image, 'true']);
    expect(low.code).toBe(125);
    expect(low.stderr).toMatch(/Minimum memory limit allowed is 6MB/);
    const ulimit = tscr(['create', '--ulimit', 'nofile=10:999999999', image, 'true']);
    expect(ulimit.code).toBe(125);
    expect(ulimit.stderr).toMatch(/above the host's hard limit/);
    const negative = tscr(['create', '--cpu-shares', '-5', image, 'true']);
    expect(negative.code).toBe(125);
    expect(ok(['ps', '-a', '-q', '--no-trunc']).split('\n').filter(Boolean)).toHaveLength(1); // only the OOM one
  });

  it('run passes --init, --cap-drop, --pids-limit, --ulimit and --security-opt through to the container', () => {
    const script =
      'tr "\\0" " " < /proc/1/cmdline; echo; chown 1 /tmp 2>/dev/null; echo chown=$?; cat /sys/fs/cgroup/pids/pids.max; ulimit -n; grep NoNewPrivs /proc/self/status';
    const r = tscr([
      'run',
      '--rm',
      '--init',
      '--cap-drop',
      'CHOWN',
      '--pids-limit',
      '9',
      '--ulimit',
      'nofile=321:654',
      '--security-opt',
      'no-new-privileges',
      image,
      'sh',
      '-c',
      script,
    ]);
    expect(r.stderr).toBe('');
    const [init, chown, pids, nofile, nnp] = r.stdout.trim().split('\n');
    expect(init).toMatch(/^\/sbin\/docker-init -- sh -c /);
    expect(chown).toBe('chown=1');
    expect(pids).toBe('9');
    expect(nofile).toBe('321');
    expect(nnp).toMatch(/NoNewPrivs:\s+1/);
  });

  it('update changes the memory limit of a running container, visible in its cgroup', () => {
    const id = runDetached(['--memory', '32m', image, 'sleep', '300']);
    const cg = () => cgroupLimit(Number(inspect(id, '{{.State.Pid}}')));
    expect(cg()).toBe(32 * MiB);
    ok(['update', '--memory', '64m', '--pids-limit', '50', id]);
    expect(cg()).toBe(64 * MiB);
    expect(inspect(id, '{{.HostConfig.Memory}} {{.HostConfig.PidsLimit}}')).toBe(`${64 * MiB} 50`);
    const bad = tscr(['update', '--memory', '1m', id]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/Minimum memory limit/);
    ok(['rm', '-f', id]);
  });

  it('pauses and unpauses: Paused in inspect and ps', () => {
    const id = runDetached([image, 'sleep', '300']);
    ok(['pause', id]);
    expect(inspect(id, '{{.State.Status}} {{.State.Paused}} {{.State.Running}}')).toBe('paused true true');
    expect(ok(['ps'])).toMatch(/Paused/);
    expect(tscr(['pause', id]).code).toBe(1);
    ok(['unpause', id]);
    expect(inspect(id, '{{.State.Status}} {{.State.Paused}}')).toBe('running false');
    ok(['pause', id]);
    ok(['rm', '-f', id]); // a paused container can still be removed
  });

  it('top lists the processes and stats reports plausible numbers', () => {
    const name = uniqueName('top');
    runDetached(['--name', name, '--memory', '64m', image, 'sleep', '300']);
    const top = ok(['top', name]);
    expect(top.split('\n')[0]).toMatch(/^UID\s+PID\s+PPID\s+C\s+STIME\s+TTY\s+TIME\s+CMD/);
    expect(top).toMatch(/sleep 300/);
    const stats = ok(['stats', '--no-stream', '--format', '{{.Name}}|{{.MemUsage}}|{{.PIDs}}|{{.CPUPerc}}', name]);
    const [n, mem, pids, cpu] = stats.trim().split('|');
    expect(n).toBe(name);
    expect(mem).toMatch(/^[\d.]+(B|KiB|MiB) \/ 64MiB$/);
    expect(mem).not.toMatch(/^0B/);
    expect(pids).toBe('1');
    expect(cpu).toMatch(/^\d+\.\d\d%$/);
    ok(['rm', '-f', name]);
    expect(tscr(['top', name]).code).toBe(1);
  });

  it('stats streams a sample every second until interrupted', async () => {
    const name = uniqueName('stream');
    runDetached(['--name', name, image, 'sleep', '300']);
    const [bin, ...pre] = cliCommand();
    const child = spawn(bin, [...pre, 'stats', '--format', '{{.Name}} {{.PIDs}}', name], { env: d.env() });
    let out = '';
    child.stdout.on('data', (b: Buffer) => {
      out += b.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    for (let i = 0; i < 100 && out.split('\n').filter(Boolean).length < 3; i++) {
      await new Promise((r) => setTimeout(r, 100));
    }
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    const lines = out.split('\n').filter(Boolean);
    expect(lines.length).toBeGreaterThanOrEqual(3);
    for (const l of lines) expect(l).toBe(`${name} 1`);
    ok(['rm', '-f', name]);
  });

  it('restart gives a new process; rename keeps the container', () => {
    const name = uniqueName('rs');
    const id = runDetached(['--name', name, image, 'sleep', '300']);
    const pid = inspect(id, '{{.State.Pid}}');
    ok(['restart', '-t', '1', name]);
    expect(inspect(id, '{{.State.Running}}')).toBe('true');
    expect(inspect(id, '{{.State.Pid}}')).not.toBe(pid);
    const renamed = uniqueName('renamed');
    ok(['rename', name, renamed]);
    expect(inspect(id, '{{.Name}}')).toBe(`/${renamed}`);
    expect(tscr(['inspect', name]).code).toBe(1);
    const other = runDetached([image, 'true']);
    const clash = tscr(['rename', other, renamed]);
    expect(clash.code).toBe(1);
    expect(clash.stderr).toMatch(/already in use/);
    ok(['rm', '-f', id, other]);
  });

  it('diff shows added, changed and deleted files; export has the whole filesystem', async () => {
    const name = uniqueName('diff');
    ok(['run', '--name', name, image, 'sh', '-c', 'echo x > /new-file; echo y >> /etc/passwd; rm /etc/group']);
    const diff = ok(['diff', name]);
    expect(diff).toMatch(/^A \/new-file$/m);
    expect(diff).toMatch(/^C \/etc\/passwd$/m);
    expect(diff).toMatch(/^D \/etc\/group$/m);
    const out = join(dir, 'export.tar');
    ok(['export', '-o', out, name]);
    const listing = execFileSync('tar', ['tf', out], { encoding: 'utf8' }).split('\n');
    expect(listing).toContain('bin/busybox');
    expect(listing).toContain('new-file');
    expect(listing).not.toContain('etc/group');
    // and while running, through the live root (without /proc's contents)
    const id = runDetached([image, 'sleep', '300']);
    const liveOut = join(dir, 'export-live.tar');
    ok(['export', '-o', liveOut, id]);
    const liveListing = execFileSync('tar', ['tf', liveOut], { encoding: 'utf8' }).split('\n');
    expect(liveListing).toContain('bin/busybox');
    expect(liveListing).toContain('proc/');
    expect(liveListing.some((l) => l.startsWith('proc/1/'))).toBe(false);
    ok(['rm', '-f', id]);
  });

  it('cp copies into and out of running and stopped containers, keeping modes and owners', async () => {
    const src = join(dir, 'cp-src');
    await mkdir(join(src, 'sub'), { recursive: true });
    await writeFile(join(src, 'sub', 'f.txt'), 'payload\n', { mode: 0o640 });
    await chown(join(src, 'sub', 'f.txt'), 1234, 4321);
    const running = runDetached([image, 'sleep', '300']);
    const statOf = (path: string): [number, number, number] => {
      const st = statSync(path);
      return [st.mode & 0o777, st.uid, st.gid];
    };
    ok(['cp', '-a', src, `${running}:/tmp/`]);
    ok(['cp', '-a', `${running}:/tmp/cp-src/sub/f.txt`, join(dir, 'f1')]);
    expect(statOf(join(dir, 'f1'))).toEqual([0o640, 1234, 4321]);
    ok(['cp', src, `${running}:/renamed`]);
    ok(['cp', '-a', `${running}:/renamed/sub/f.txt`, join(dir, 'f2')]);
    expect(statOf(join(dir, 'f2'))).toEqual([0o640, 0, 0]);
    const stopped = ok(['create', image, 'true']).trim();
    ok(['cp', '-a', join(src, 'sub', 'f.txt'), `${stopped}:/etc/copied.txt`]);
    const back = join(dir, 'back.txt');
    ok(['cp', '-a', `${stopped}:/etc/copied.txt`, back]);
    expect(await readFile(back, 'utf8')).toBe('payload\n');
    expect(statOf(back)).toEqual([0o640, 1234, 4321]);
    ok(['cp', `${running}:/tmp/cp-src`, join(dir, 'out-dir')]);
    expect(readFileSync(join(dir, 'out-dir', 'sub', 'f.txt'), 'utf8')).toBe('payload\n');
    const tarOut = tscr(['cp', `${stopped}:/etc/passwd`, '-']);
    expect(tarOut.code).toBe(0);
    expect(tarOut.stdout).toMatch(/^passwd\0/); // a tar stream whose entry is named passwd
    expect(tarOut.stdout).toContain('root:x:0:0');
    ok(['rm', '-f', running, stopped]);
  });

  it('cp reads a path inside a volume of a running container', () => {
    const vol = uniqueName('cpvol');
    const id = runDetached(['-v', `${vol}:/data`, image, 'sh', '-c', 'echo in-volume > /data/f; sleep 300']);
    let out = tscr(['cp', `${id}:/data/f`, '-']);
    for (let i = 0; i < 50 && !out.stdout.includes('in-volume'); i++) out = tscr(['cp', `${id}:/data/f`, '-']);
    expect(out.code, out.stderr).toBe(0);
    expect(out.stdout).toMatch(/^f\0/);
    expect(out.stdout).toContain('in-volume');
    ok(['rm', '-f', '-v', id]);
    ok(['volume', 'rm', vol]);
  });

  it('cp reads and writes a volume of a stopped container', async () => {
    const vol = uniqueName('cpvol');
    const id = ok(['run', '-d', '-v', `${vol}:/data`, image, 'sh', '-c', 'echo stopped-volume > /data/g']).trim();
    ok(['wait', id]);
    const out = tscr(['cp', `${id}:/data/g`, '-']);
    expect(out.code, out.stderr).toBe(0);
    expect(out.stdout).toContain('stopped-volume');
    const file = join(dir, 'into-volume.txt');
    await writeFile(file, 'copied in\n');
    ok(['cp', file, `${id}:/data/`]);
    expect(ok(['run', '--rm', '-v', `${vol}:/data`, image, 'cat', '/data/into-volume.txt'])).toBe('copied in\n');
    expect(mountsUnder(id)).toEqual([]); // the view of the stopped container is gone again
    ok(['rm', '-v', id]);
    ok(['volume', 'rm', vol]);
  });

  it('cp refuses paths that escape the container root', async () => {
    const id = ok(['create', image, 'true']).trim();
    const file = join(dir, 'esc.txt');
    await writeFile(file, 'x');
    const up = tscr(['cp', file, `${id}:/../../../tmp/`]);
    expect(up.code).toBe(1);
    expect(up.stderr).toMatch(/escapes the container/);
    const link = runDetached([image, 'sh', '-c', 'ln -s ../../../../../../tmp /esc; ln -s /etc /abs; sleep 300']);
    for (let i = 0; i < 50 && tscr(['cp', `${link}:/abs`, '-']).code !== 0; i++)
      await new Promise((r) => setTimeout(r, 100));
    const viaLink = tscr(['cp', file, `${link}:/esc/`]);
    expect(viaLink.code).toBe(1);
    expect(viaLink.stderr).toMatch(/escapes the container/);
    ok(['cp', file, `${link}:/abs/`]); // an absolute link stays inside: lands in the container's /etc
    ok(['cp', `${link}:/etc/esc.txt`, join(dir, 'esc-back.txt')]);
    expect(readFileSync(join(dir, 'esc-back.txt'), 'utf8')).toBe('x');
    expect(existsSync('/etc/esc.txt')).toBe(false);
    ok(['rm', '-f', id, link]);
  });
});

/** memory.limit_in_bytes of `pid`'s memory cgroup (v1). */
function cgroupLimit(pid: number): number {
  const line = readFileSync(`/proc/${pid}/cgroup`, 'utf8')
    .split('\n')
    .find((l) => l.split(':')[1] === 'memory');
  return Number(readFileSync(join('/sys/fs/cgroup/memory', line!.split(':')[2]!, 'memory.limit_in_bytes'), 'utf8'));
}
