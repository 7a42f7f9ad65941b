/**
 * Volumes end to end: the built `tscr` CLI against a real `tscrd` (built),
 * with real containers (runc + conmon + overlayfs) and real mounts, plus a
 * second volume driver served by `tscrd serve-layer volumes` in another
 * process (a plug-in over gRPC). Root only. Everything lives under
 * /tmp/tscr-test-volumes-…, with cgroup parent tscr-test-….
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { chown, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { busyboxRootfsDir, uniqueName } from '@tscr/testkit';
import { DAEMON, E2eDaemon, e2eSkipReason, mountsUnder, waitFor, type Result } from '../fixtures/e2e.js';

const skip = e2eSkipReason();

describe.skipIf(skip)('tscr volumes end to end', () => {
  let d: E2eDaemon;
  let dir = '';
  let pluginAddress = '';
  let plugin: ChildProcess | undefined;
  const image = `${uniqueName('vimg')}:test`;
  const plain = `${uniqueName('vplain')}:test`;
  const vol = uniqueName('vol');

  const tscr = (args: string[]): Result => d.tscr(args);
  const ok = (args: string[]): string => {
    const r = tscr(args);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    return r.stdout;
  };

  const startDaemon = () => d.start(['--volume-driver', `tscr-test-plugin=${pluginAddress}`]);
  const stopDaemon = () => d.stop();

  beforeAll(async () => {
    d = await E2eDaemon.create('volumes');
    dir = d.dir;
    pluginAddress = `unix://${join(dir, 'plugin.sock')}`;
    plugin = spawn(
      'node',
      [DAEMON, 'serve-layer', 'volumes', '--listen', pluginAddress, '--root', join(dir, 'plugin-root')],
      {
        stdio: ['ignore', 'ignore', 'inherit'],
      },
    );
    await waitFor('the volume plug-in', () => existsSync(join(dir, 'plugin.sock')));
    await startDaemon();
    // An image with content at /srv (owned 1234:5678, modes 0750/0640) and a VOLUME /data.
    const rootfs = join(dir, 'rootfs');
    await mkdir(rootfs);
    await busyboxRootfsDir(rootfs);
    await mkdir(join(rootfs, 'srv', 'app'), { recursive: true, mode: 0o750 });
    spawnSync('chmod', ['0750', join(rootfs, 'srv')]);
    await writeFile(join(rootfs, 'srv', 'app', 'hello.txt'), 'from the image\n', { mode: 0o640 });
    await chown(join(rootfs, 'srv'), 1234, 5678);
    await chown(join(rootfs, 'srv', 'app', 'hello.txt'), 1234, 5678);
    await mkdir(join(rootfs, 'data'));
    await writeFile(join(rootfs, 'data', 'seed'), 'seeded\n');
    await mkdir(join(rootfs, 'etc', 'conf.d'), { recursive: true });
    const tar = join(dir, 'image.tar');
    expect(spawnSync('tar', ['-C', rootfs, '-cf', tar, '.']).status).toBe(0);
    ok(['image', 'import', '-c', 'VOLUME /data', tar, image]);
    ok(['image', 'import', tar, plain]);
  }, 120_000);

  afterEach(() => {
    // No test leaves a mount of its own behind on the host.
    expect(mountsUnder(dir)).toEqual([]);
  });

  afterAll(async () => {
    for (const line of tscr(['ps', '-a', '-q']).stdout.split('\n').filter(Boolean)) tscr(['rm', '-f', '-v', line]);
    await stopDaemon();
    if (plugin?.pid && plugin.exitCode === null) {
      const exited = new Promise((r) => plugin?.once('exit', r));
      plugin.kill('SIGTERM');
      await exited;
    }
    await d.cleanup();
  }, 60_000);

  it('shares a named volume between containers, and keeps it across removal and a daemon restart', async () => {
    expect(ok(['volume', 'create', '--label', 'tscr-test=1', vol])).toBe(`${vol}\n`);
    ok(['run', '--rm', '-v', `${vol}:/shared`, plain, 'sh', '-c', 'echo written-by-one > /shared/note']);
    ok(['run', '--name', `${vol}-reader`, '-v', `${vol}:/in`, plain, 'cat', '/in/note']);
    expect(ok(['logs', `${vol}-reader`])).toBe('written-by-one\n');
    ok(['rm', `${vol}-reader`]);
    await stopDaemon();
    await startDaemon();
    const [info] = JSON.parse(ok(['volume', 'inspect', vol])) as Record<string, unknown>[];
    expect(info).toMatchObject({ Name: vol, Driver: 'local', Labels: { 'tscr-test': '1' }, Scope: 'local' });
    expect(readFileSync(join(info!.Mountpoint as string, 'note'), 'utf8')).toBe('written-by-one\n');
    expect(ok(['run', '--rm', '-v', `${vol}:/again:ro`, plain, 'cat', '/again/note'])).toBe('written-by-one\n');
    expect(ok(['volume', 'ls', '-q', '--filter', 'label=tscr-test=1'])).toBe(`${vol}\n`);
  }, 60_000);

  it('fills a new volume from the image, keeping owners and modes', () => {
    const name = uniqueName('copyup');
    const out = ok([
      'run',
      '--rm',
      '-v',
      `${name}:/srv`,
      plain,
      'sh',
      '-c',
      'stat -c "%u:%g %a" /srv /srv/app/hello.txt; cat /srv/app/hello.txt',
    ]);
    expect(out).toBe('1234:5678 750\n1234:5678 640\nfrom the image\n');
    const [info] = JSON.parse(ok(['volume', 'inspect', name])) as { Mountpoint: string }[];
    const st = statSync(join(info!.Mountpoint, 'app', 'hello.txt'));
    expect([st.uid, st.gid, st.mode & 0o777]).toEqual([1234, 5678, 0o640]);
    // --mount volume-nocopy leaves a new volume empty.
    const empty = uniqueName('nocopy');
    expect(
      ok([
        'run',
        '--rm',
        '--mount',
        `type=volume,source=${empty},target=/srv,volume-nocopy`,
        plain,
        'ls',
        '-A',
        '/srv',
      ]),
    ).toBe('');
    ok(['volume', 'rm', name, empty]);
  });

  it('makes :ro and readonly mounts read-only in the kernel, and --read-only keeps volumes writable', () => {
    const name = uniqueName('ro');
    const ro = tscr(['run', '--rm', '-v', `${name}:/v:ro`, plain, 'sh', '-c', 'touch /v/x']);
    expect(ro.code).not.toBe(0);
    expect(ro.stderr).toMatch(/Read-only file system/);
    const bindSrc = join(dir, 'bind-ro');
    const bind = tscr([
      'run',
      '--rm',
      '--mount',
      `type=bind,source=${dir},target=/h,readonly`,
      plain,
      'sh',
      '-c',
      'grep " /h " /proc/self/mountinfo; touch /h/x',
    ]);
    expect(bind.code).not.toBe(0);
    expect(bind.stdout).toMatch(/ \/h ro[, ]/);
    expect(existsSync(join(dir, 'x'))).toBe(false);
    const rootRo = ok([
      'run',
      '--rm',
      '--read-only',
      '-v',
      `${name}:/v`,
      '--tmpfs',
      '/tmp',
      plain,
      'sh',
      '-c',
      'touch /v/ok /tmp/ok && echo yes; touch /nope 2>/dev/null || echo root-ro',
    ]);
    expect(rootRo).toBe('yes\nroot-ro\n');
    // -v with a missing host path creates it; --mount type=bind refuses.
    expect(ok(['run', '--rm', '-v', `${bindSrc}/made:/m`, plain, 'true'])).toBe('');
    expect(statSync(join(bindSrc, 'made')).isDirectory()).toBe(true);
    const refused = tscr(['run', '--rm', '--mount', `type=bind,source=${bindSrc}/absent,target=/m`, plain, 'true']);
    expect(refused.code).toBe(125);
    expect(refused.stderr).toContain('bind source path does not exist');
    expect(existsSync(join(bindSrc, 'absent'))).toBe(false);
    ok(['volume', 'rm', name]);
  });

  it('honours propagation modes', () => {
    const out = ok([
      'run',
      '--rm',
      '-v',
      `${dir}:/p:rshared`,
      '-v',
      `${dir}:/q`,
      plain,
      'sh',
      '-c',
      'grep -E " /(p|q) " /proc/self/mountinfo',
    ]);
    const lines = out.trim().split('\n');
    expect(lines.find((l) => l.includes(' /p '))).toMatch(/shared:\d+/);
    expect(lines.find((l) => l.includes(' /q '))).not.toMatch(/shared:|master:/);
  });

  it('loses tmpfs content when the container restarts', () => {
    const name = uniqueName('tmpfs-ctr');
    ok([
      'create',
      '--name',
      name,
      '--tmpfs',
      '/scratch',
      '--mount',
      'type=tmpfs,target=/t2,tmpfs-size=1m',
      plain,
      'sh',
      '-c',
      'ls -A /scratch /t2; echo x > /scratch/f; echo y > /t2/f',
    ]);
    ok(['start', name]);
    ok(['wait', name]);
    ok(['start', name]);
    ok(['wait', name]);
    expect(ok(['logs', name])).toBe('/scratch:\n\n/t2:\n/scratch:\n\n/t2:\n');
    ok(['rm', name]);
  });

  it('refuses to remove a volume in use, by a stopped container too, unless forced', () => {
    const name = uniqueName('inuse');
    const ctr = uniqueName('user');
    ok(['create', '--name', ctr, '-v', `${name}:/u`, plain, 'true']);
    const r = tscr(['volume', 'rm', name]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('volume is in use');
    expect(ok(['volume', 'ls', '-q', '--filter', 'dangling=false'])).toContain(name);
    ok(['rm', ctr]);
    expect(ok(['volume', 'ls', '-q', '--filter', 'dangling=true'])).toContain(name);
    ok(['volume', 'rm', name]);
  });

  it('gives image VOLUMEs anonymous volumes, removed by rm -v and --rm, kept otherwise', () => {
    const before = ok(['volume', 'ls', '-q']);
    expect(ok(['run', '--rm', image, 'cat', '/data/seed'])).toBe('seeded\n');
    expect(ok(['volume', 'ls', '-q'])).toBe(before);
    const ctr = uniqueName('anon');
    ok(['run', '--name', ctr, '-v', '/extra', image, 'sh', '-c', 'echo hi > /data/new']);
    const info = JSON.parse(ok(['inspect', ctr])) as {
      Mounts: { Type: string; Name: string; Destination: string }[];
    }[];
    const anon = info[0]!.Mounts.filter((m) => m.Type === 'volume');
    expect(anon.map((m) => m.Destination).sort()).toEqual(['/data', '/extra']);
    for (const m of anon) expect(m.Name).toMatch(/^[0-9a-f]{64}$/);
    // A restart uses the same anonymous volumes.
    ok(['start', ctr]);
    ok(['wait', ctr]);
    const again = JSON.parse(ok(['inspect', ctr])) as typeof info;
    expect(
      again[0]!.Mounts.filter((m) => m.Type === 'volume')
        .map((m) => m.Name)
        .sort(),
    ).toEqual(anon.map((m) => m.Name).sort());
    const [dataVol] = JSON.parse(ok(['volume', 'inspect', anon.find((m) => m.Destination === '/data')!.Name])) as {
      Labels: Record<string, string>;
    }[];
    expect(dataVol!.Labels).toEqual({ 'com.docker.volume.anonymous': '' });
    // --volumes-from shares them.
    expect(ok(['run', '--rm', '--volumes-from', `${ctr}:ro`, plain, 'cat', '/data/new'])).toBe('hi\n');
    ok(['rm', '-v', ctr]);
    expect(ok(['volume', 'ls', '-q'])).toBe(before);
    // Without -v they stay, dangling, until a prune.
    ok(['run', '--name', ctr, image, 'true']);
    ok(['rm', ctr]);
    const dangling = ok(['volume', 'ls', '-q', '--filter', 'dangling=true']);
    expect(dangling.split('\n').length).toBeGreaterThan(before.split('\n').length);
    expect(ok(['volume', 'prune', '-f'])).toContain('Deleted Volumes:');
    expect(ok(['volume', 'ls', '-q'])).toBe(before);
  });

  it('rejects bad input clearly and creates nothing', () => {
    const volsBefore = ok(['volume', 'ls', '-q']);
    const ctrsBefore = ok(['ps', '-a', '-q']);
    const cases: [string[], RegExp][] = [
      [['volume', 'create', 'bad/name'], /invalid volume name/],
      [['volume', 'create', '..'], /invalid volume name/],
      [['volume', 'create', '-d', 'tscr-test-nodriver', 'tscr-test-x'], /plugin "tscr-test-nodriver" not found/],
      [['volume', 'create', '-o', 'bogus=1', 'tscr-test-x'], /unknown option "bogus"/],
      [['run', '--rm', '-v', 'a/b:/x', plain, 'true'], /not a valid volume name/],
      [['run', '--rm', '-v', 'tscr-test-never:rel', plain, 'true'], /must be absolute/],
      [['run', '--rm', '--mount', 'type=volume,source=tscr-test-never,target=rel', plain, 'true'], /must be absolute/],
      [['run', '--rm', '-v', 'tscr-test-never:/', plain, 'true'], /can't be '\/'|destination/],
      [['run', '--rm', '-v', 'tscr-test-never:/d', '--tmpfs', '/d', plain, 'true'], /duplicate mount point: \/d/],
      [
        ['run', '--rm', '--mount', 'type=volume,source=tscr-test-never,target=/d,volume-driver=nope', plain, 'true'],
        /plugin "nope" not found/,
      ],
      [
        ['run', '--rm', '--mount', 'type=volume,source=tscr-test-never,target=/d,volume-opt=bogus=1', plain, 'true'],
        /unknown option/,
      ],
      [
        ['run', '--rm', '-v', 'tscr-test-never:/n', '-v', `${join(dir, 'image.tar')}:/etc/conf.d`, plain, 'true'],
        /cannot mount file .* over directory/,
      ],
    ];
    for (const [args, message] of cases) {
      const r = tscr(args);
      expect(r.code, args.join(' ')).not.toBe(0);
      expect(r.stderr, args.join(' ')).toMatch(message);
    }
    expect(ok(['volume', 'ls', '-q'])).toBe(volsBefore);
    expect(ok(['ps', '-a', '-q'])).toBe(ctrsBefore);
  });

  it('creates and mounts a volume of a driver served by another process over gRPC', () => {
    const name = uniqueName('plugvol');
    ok(['volume', 'create', '-d', 'tscr-test-plugin', name]);
    const [info] = JSON.parse(ok(['volume', 'inspect', name])) as { Driver: string; Mountpoint: string }[];
    expect(info!.Driver).toBe('tscr-test-plugin');
    expect(info!.Mountpoint.startsWith(join(dir, 'plugin-root'))).toBe(true);
    ok(['run', '--rm', '-v', `${name}:/p`, plain, 'sh', '-c', 'echo via-plugin > /p/f']);
    expect(readFileSync(join(info!.Mountpoint, 'f'), 'utf8')).toBe('via-plugin\n');
    expect(ok(['volume', 'ls', '--filter', 'driver=tscr-test-plugin'])).toMatch(
      new RegExp(`tscr-test-plugin\\s+${name}`),
    );
    // Anonymous volumes can come from the plug-in too.
    expect(
      ok([
        'run',
        '--rm',
        '--mount',
        'type=volume,target=/a,volume-driver=tscr-test-plugin',
        plain,
        'sh',
        '-c',
        'echo ok > /a/x && cat /a/x',
      ]),
    ).toBe('ok\n');
    ok(['volume', 'rm', name]);
    expect(tscr(['volume', 'inspect', name]).code).toBe(1);
  });
});
