import { execFileSync } from 'node:child_process';
import { mkdir, readFile, readdir, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorCode } from '@tscr/api';
import { makeTempDir } from '@tscr/testkit';
import { Pack } from 'tar';
import { archiveFromView, extractIntoView, statInView } from '../../src/local/archive.js';
import { layerChanges } from '../../src/local/diff.js';
import type { RootView } from '../../src/local/fsview.js';
import { resolveInContainer } from '../../src/local/safe-path.js';
import { psTable } from '../../src/local/top.js';

const isRoot = process.getuid?.() === 0;

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'ok';
  } catch (err) {
    return errorCode(err);
  }
}

async function collect(it: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of it) chunks.push(Buffer.from(c));
  return Buffer.concat(chunks);
}

describe('container filesystem access', () => {
  let dir: string;
  let root: string;
  let outside: string;
  let view: RootView;

  beforeAll(async () => {
    dir = await makeTempDir('control-fs');
    root = join(dir, 'root');
    outside = join(dir, 'outside');
    await mkdir(join(root, 'etc'), { recursive: true });
    await mkdir(join(root, 'data', 'sub'), { recursive: true });
    await mkdir(outside);
    await writeFile(join(root, 'etc', 'passwd'), 'root:x:0:0::/root:/bin/sh\n');
    await writeFile(join(root, 'data', 'sub', 'f'), 'hello', { mode: 0o640 });
    await writeFile(join(outside, 'secret'), 'host');
    await symlink('/etc', join(root, 'abs-link'));
    await symlink('../../../../../outside', join(root, 'escape-link'));
    await symlink('data/sub', join(root, 'rel-link'));
    view = { root, mountPoints: [], readonly: false, release: async () => undefined };
  });

  afterAll(async () => {
    execFileSync('rm', ['-rf', dir]);
  });

  it('resolves absolute symlinks inside the container root, never the host', async () => {
    expect((await resolveInContainer(root, '/abs-link/passwd', true)).host).toBe(join(root, 'etc', 'passwd'));
    expect((await resolveInContainer(root, '/rel-link/f', true)).inContainer).toBe('/data/sub/f');
    expect((await resolveInContainer(root, '/abs-link', false)).inContainer).toBe('/abs-link');
  });

  it('refuses .. and symlinks that climb above the root', async () => {
    expect(await codeOf(resolveInContainer(root, '/../outside/secret'))).toBe('InvalidArgument');
    expect(await codeOf(resolveInContainer(root, '/data/../../x'))).toBe('InvalidArgument');
    expect(await codeOf(resolveInContainer(root, '/escape-link/secret', true))).toBe('InvalidArgument');
    expect(await codeOf(resolveInContainer(root, 'relative'))).toBe('InvalidArgument');
    expect(await codeOf(statInView(view, '/nope'))).toBe('NotFound');
  });

  it('stats paths with Go-style mode bits', async () => {
    const d = await statInView(view, '/data');
    expect(d.name).toBe('data');
    expect(d.mode).toBe(2 ** 31 + 0o755);
    const l = await statInView(view, '/abs-link');
    expect(l.linkTarget).toBe('/etc');
    expect(l.mode & (2 ** 27)).toBeTruthy();
    expect((await statInView(view, '/data/sub/f')).size).toBe(5);
  });

  it('archives a directory under its base name with modes', async () => {
    const { stat: st, tar } = await archiveFromView(view, '/data');
    expect(st.name).toBe('data');
    const file = join(dir, 'out.tar');
    await writeFile(file, await collect(tar));
    const listing = execFileSync('tar', ['tvf', file], { encoding: 'utf8' });
    expect(listing).toMatch(/-rw-r----- 0\/0\s+5 .* data\/sub\/f/);
  });

  it.skipIf(!isRoot)('extracts an archive into a directory keeping modes and owners (root)', async () => {
    const src = join(dir, 'src');
    await mkdir(src);
    await writeFile(join(src, 'x'), 'x!', { mode: 0o751 });
    execFileSync('chown', ['1234:4321', join(src, 'x')]);
    const pack = new Pack({ cwd: src, portable: false });
    pack.add('x');
    pack.end();
    await extractIntoView(view, '/data', pack as unknown as AsyncIterable<Uint8Array>);
    const st = await stat(join(root, 'data', 'x'));
    expect(st.mode & 0o7777).toBe(0o751);
    expect([st.uid, st.gid]).toEqual([1234, 4321]);
    expect(await readFile(join(root, 'data', 'x'), 'utf8')).toBe('x!');
  });

  it('a failed extraction puts back the files it was replacing; a finished one leaves no old copies', async () => {
    const target = join(root, 'data', 'keep');
    await mkdir(target);
    await writeFile(join(target, 'a'), 'old a', { mode: 0o600 });
    await writeFile(join(target, 'b'), 'old b');
    const src = join(dir, 'replacing');
    await mkdir(src);
    await writeFile(join(src, 'a'), 'new a');
    await writeFile(join(src, 'b'), Buffer.alloc(256 * 1024, 'n'));
    await writeFile(join(src, 'c'), 'new c');
    const tarFile = join(dir, 'replacing.tar');
    execFileSync('tar', ['cf', tarFile, '-C', src, 'a', 'b', 'c']);
    const whole = await readFile(tarFile);
    // The stream breaks in the middle of b's body (as a full disk or a dropped client would cut it).
    async function* cut() {
      yield whole.subarray(0, 1024 + 512 + 100 * 1024);
      throw Object.assign(new Error('no space left on device'), { code: 'ENOSPC' });
    }
    expect(await codeOf(extractIntoView(view, '/data/keep', cut()))).toBe('ResourceExhausted');
    expect(await readFile(join(target, 'a'), 'utf8')).toBe('old a');
    expect((await stat(join(target, 'a'))).mode & 0o777).toBe(0o600);
    expect(await readFile(join(target, 'b'), 'utf8')).toBe('old b');
    expect((await readdir(target)).sort()).toEqual(['a', 'b']);

    await extractIntoView(view, '/data/keep', Readable.from([whole]));
    expect(await readFile(join(target, 'a'), 'utf8')).toBe('new a');
    expect((await readFile(join(target, 'b'))).length).toBe(256 * 1024);
    expect((await readdir(target)).sort()).toEqual(['a', 'b', 'c']);
  });

  it('refuses archives whose entries escape, and extraction into a file or read-only root', async () => {
    const evil = join(dir, 'evil.tar');
    execFileSync('tar', ['cf', evil, '-C', outside, '--transform', 's,^,../../,', 'secret'], { stdio: 'ignore' });
    const tar = Readable.from([await readFile(evil)]);
    expect(await codeOf(extractIntoView(view, '/data', tar))).toBe('InvalidArgument');
    expect(await codeOf(extractIntoView(view, '/data/sub/f', Readable.from([Buffer.alloc(1024)])))).toBe(
      'FailedPrecondition',
    );
    const ro = { ...view, readonly: true };
    expect(await codeOf(extractIntoView(ro, '/data', Readable.from([Buffer.alloc(1024)])))).toBe('FailedPrecondition');
    expect(await codeOf(stat(join(dir, 'secret')))).not.toBe('ok');
  });
});

describe('layerChanges', () => {
  it.skipIf(!isRoot)('reports additions, changes and whiteouts of the upper layer (root: mknod)', async () => {
    const dir = await makeTempDir('diff');
    const lower = join(dir, 'lower');
    const upper = join(dir, 'upper');
    await mkdir(join(lower, 'etc'), { recursive: true });
    await writeFile(join(lower, 'etc', 'os'), 'a');
    await writeFile(join(lower, 'gone'), 'a');
    await mkdir(join(upper, 'etc'), { recursive: true });
    await writeFile(join(upper, 'etc', 'os'), 'b');
    await mkdir(join(upper, 'new', 'deep'), { recursive: true });
    await writeFile(join(upper, 'new', 'deep', 'f'), 'c');
    execFileSync('mknod', [join(upper, 'gone'), 'c', '0', '0']);
    expect(await layerChanges(upper, [lower])).toEqual([
      { kind: 'C', path: '/etc' },
      { kind: 'C', path: '/etc/os' },
      { kind: 'D', path: '/gone' },
      { kind: 'A', path: '/new' },
      { kind: 'A', path: '/new/deep' },
      { kind: 'A', path: '/new/deep/f' },
    ]);
    execFileSync('rm', ['-rf', dir]);
  });
});

describe('psTable', () => {
  const now = Date.UTC(2026, 0, 2, 12, 0, 0);
  const procs = [
    { pid: 10, ppid: 1, uid: 0, startMs: now - 60_000, cpuNs: 3e9, tty: '?', args: ['sleep', '60'], comm: 'sleep' },
    { pid: 11, ppid: 10, uid: 1000, startMs: now - 1000, cpuNs: 0, tty: 'pts/0', args: [], comm: 'kworker' },
  ];

  it('prints ps -ef columns by default', () => {
    const t = psTable(procs, [], now);
    expect(t.titles).toEqual(['UID', 'PID', 'PPID', 'C', 'STIME', 'TTY', 'TIME', 'CMD']);
    expect(t.processes[0]).toEqual(['0', '10', '1', '5', '11:59', '?', '00:00:03', 'sleep 60']);
    expect(t.processes[1]?.at(-1)).toBe('[kworker]');
  });

  it('takes -o columns and refuses unknown options', () => {
    expect(psTable(procs, ['-o', 'pid,comm'], now)).toEqual({
      titles: ['PID', 'COMMAND'],
      processes: [
        ['10', 'sleep'],
        ['11', 'kworker'],
      ],
    });
    expect(() => psTable(procs, ['--bogus'])).toThrow(/unsupported/);
    expect(() => psTable(procs, ['-o', 'nope'])).toThrow(/unknown column/);
  });
});
