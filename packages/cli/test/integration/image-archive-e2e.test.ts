/**
 * save, load, history, image prune and commit end to end: the built `tscr`
 * against a real `tscrd`, with real containers, and podman (private
 * --root/--runroot under the test's /tmp/tscr-test-… directory) on the
 * other side of the archives. Root only.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { busyboxRootfsTar, hasCommand, uniqueName } from '@tscr/testkit';
import { cliCommand, E2eDaemon, e2eSkipReason, mountsUnder, type Result } from '../fixtures/e2e.js';

const skip = e2eSkipReason() ?? (hasCommand('podman') ? undefined : 'needs podman');

describe.skipIf(skip)('tscr save, load, history, image prune and commit end to end', () => {
  let d: E2eDaemon;
  let podmanArgs: string[] = [];
  const repo = uniqueName('arc');
  const image = `${repo}:base`;

  const tscr = (args: string[]): Result => d.tscr(args);
  const ok = (args: string[]): string => {
    const r = tscr(args);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    return r.stdout;
  };
  const fails = (args: string[]): Result => {
    const r = tscr(args);
    expect(r.code).not.toBe(0);
    return r;
  };
  const podman = (...args: string[]): string => {
    const r = spawnSync('podman', [...podmanArgs, ...args], { encoding: 'utf8' });
    expect(r.stderr.includes('Error') ? r.stderr : '').toBe('');
    expect(r.status).toBe(0);
    return r.stdout;
  };
  /** Runs a shell pipeline with the CLI as `$TSCR`. */
  const sh = (script: string): Result => {
    const r = spawnSync('sh', ['-c', script], { env: d.env({ TSCR: cliCommand().join(' ') }), encoding: 'utf8' });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };

  beforeAll(async () => {
    d = await E2eDaemon.create('archive');
    podmanArgs = [
      '--root',
      join(d.dir, 'podman-root'),
      '--runroot',
      join(d.dir, 'podman-run'),
      '--storage-driver',
      'vfs',
      '--cgroup-manager',
      'cgroupfs',
      '--events-backend',
      'file',
    ];
    await d.start();
    const tar = await busyboxRootfsTar(d.dir, join(d.dir, 'busybox.tar'));
    ok(['import', '-c', 'CMD ["sh"]', tar, image]);
    podman('import', '--change', 'CMD ["echo", "from podman"]', tar, `${repo}:podman`);
  });
  afterAll(async () => {
    if (!d) return;
    spawnSync('podman', [...podmanArgs, 'system', 'reset', '-f'], { stdio: 'ignore' });
    for (const m of mountsUnder(join(d.dir, 'podman')).reverse()) {
      const target = m.split(' ')[4];
      if (target) spawnSync('umount', ['-l', target]);
    }
    await d.cleanup();
  });

  for (const format of ['docker-archive', 'oci-archive']) {
    it(`podman save --format ${format} → tscr load -i → tscr run`, () => {
      const file = join(d.dir, `podman-${format}.tar`);
      podman('save', '--format', format, '-o', file, `${repo}:podman`);
      expect(ok(['load', '-i', file])).toBe(`Loaded image: localhost/${repo}:podman\n`);
      expect(ok(['run', '--network', 'none', '--rm', `localhost/${repo}:podman`])).toBe('from podman\n');
      ok(['rmi', `localhost/${repo}:podman`]);
    });
  }

  it('tscr save -o (both formats) → podman load keeps the ID, name and config', () => {
    const docker = join(d.dir, 'tscr-docker.tar');
    const oci = join(d.dir, 'tscr-oci.tar');
    expect(ok(['save', '-o', docker, image])).toBe('');
    expect(ok(['image', 'save', '--format', 'oci-archive', '-o', oci, image])).toBe('');
    const id = ok(['images', '-q', '--no-trunc', image]).trim();
    expect(podman('load', '-i', docker)).toContain(`docker.io/library/${image}`);
    const inspected = JSON.parse(podman('image', 'inspect', `docker.io/library/${image}`)) as {
      Id: string;
      Config: { Cmd: string[] };
    }[];
    expect(`sha256:${inspected[0]?.Id}`).toBe(id);
    expect(inspected[0]?.Config.Cmd).toEqual(['sh']);
    podman('rmi', `docker.io/library/${image}`);
    expect(podman('load', '-i', oci)).toContain(image);
  });

  it('tscr save to a pipe | tscr load from stdin; refuses a terminal; errors leave no file', () => {
    const r = sh(`$TSCR save ${image} | $TSCR load`);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(`Loaded image: ${image}\n`);
    const tty = sh(`script -qec "$TSCR save ${image}" /dev/null`);
    expect(tty.code).not.toBe(0);
    expect(tty.stdout).toMatch(/cowardly refusing to save to a terminal/);
    const missing = join(d.dir, 'missing.tar');
    const bad = fails(['save', '-o', missing, `${uniqueName('nope')}:1`]);
    expect(bad.stderr).toMatch(/no such image/);
    expect(existsSync(missing)).toBe(false);
    const notTar = join(d.dir, 'not-a.tar');
    sh(`head -c 4096 /dev/urandom > ${notTar}`);
    expect(fails(['load', '-i', notTar]).stderr).toMatch(/not a valid image archive|invalid image archive/);
    const truncated = join(d.dir, 'truncated.tar');
    const size = statSync(join(d.dir, 'tscr-docker.tar')).size;
    sh(`head -c ${Math.floor(size / 2)} ${join(d.dir, 'tscr-docker.tar')} > ${truncated}`);
    expect(fails(['load', '-i', truncated]).stderr).toMatch(/archive/);
  });

  it('history shows the import step', () => {
    const out = ok(['history', image]);
    const lines = out.trim().split('\n');
    expect(lines[0]).toMatch(/^IMAGE\s+CREATED\s+CREATED BY\s+SIZE\s+COMMENT/);
    expect(lines).toHaveLength(2);
    expect(lines[1]).toContain('tscr image import');
    expect(ok(['history', '-q', '--no-trunc', image]).trim()).toBe(ok(['images', '-q', '--no-trunc', image]).trim());
    expect(fails(['history', `${uniqueName('nope')}:1`]).stderr).toMatch(/no such image/);
  });

  it('commit makes an image of the container with -c changes, -m and -a; history shows it', () => {
    const c = uniqueName('c');
    ok(['run', '--network', 'none', '--name', c, image, 'sh', '-c', 'echo committed > /hello; rm /bin/vi']);
    const target = `${repo}:committed`;
    const id = ok([
      'commit',
      '-m',
      'a message',
      '-a',
      'tscr test',
      '-c',
      'CMD ["cat", "/hello"]',
      '-c',
      'ENV A=1 B=2',
      '-c',
      'LABEL made=commit',
      '-c',
      'EXPOSE 8080',
      '-c',
      'WORKDIR /tmp',
      c,
      target,
    ]).trim();
    expect(id).toMatch(/^sha256:[a-f0-9]{64}$/);
    expect(ok(['run', '--network', 'none', '--rm', target])).toBe('committed\n');
    expect(
      ok([
        'run',
        '--network',
        'none',
        '--rm',
        target,
        'sh',
        '-c',
        'test -e /bin/vi && echo has-vi || echo no-vi; pwd; echo $A$B',
      ]),
    ).toBe('no-vi\n/tmp\n12\n');
    const inspected = JSON.parse(ok(['image', 'inspect', target])) as { Config: Record<string, unknown> }[];
    expect(JSON.stringify(inspected[0])).toContain('made');
    const history = ok(['history', '--format', '{{.CreatedBy}}|{{.Comment}}', target]).trim().split('\n');
    expect(history).toHaveLength(2);
    expect(history[0]).toBe('sh -c echo committed > /hello; rm /bin/vi|a message');

    // A running container is paused while it is committed (default) and keeps running.
    const running = uniqueName('c');
    ok(['run', '--network', 'none', '-d', '--name', running, image, 'sh', '-c', 'echo live > /live; sleep 1000']);
    const live = ok(['commit', running]).trim();
    expect(ok(['run', '--network', 'none', '--rm', live, 'cat', '/live'])).toBe('live\n');
    expect(ok(['inspect', '--format', '{{.State.Running}}', running]).trim()).toBe('true');
    ok(['rm', '-f', running]);

    expect(fails(['commit', uniqueName('nope')]).stderr).toMatch(/no such container/i);
    expect(fails(['commit', '-c', 'BOGUS x', c]).stderr).toMatch(/not a valid change command/);
    ok(['rm', c]);
  });

  it('rmi of an image a container uses is a conflict unless -f; image prune keeps it', () => {
    const c = uniqueName('c');
    const used = `${repo}:used`;
    ok(['tag', image, used]);
    ok(['rmi', image]);
    ok(['create', '--network', 'none', '--name', c, used, 'true']);
    expect(fails(['rmi', used]).stderr).toMatch(/conflict/);
    ok(['image', 'prune', '-a', '-f']);
    expect(ok(['images', '-q', used]).trim()).not.toBe('');
    ok(['rm', c]);
    const untagged = ok(['import', join(d.dir, 'busybox.tar')]).trim();
    expect(fails(['image', 'prune']).stderr).toMatch(/--force/);
    const pruned = ok(['image', 'prune', '-f']);
    expect(pruned).toContain(`deleted: ${untagged}`);
    expect(pruned).toMatch(/Total reclaimed space: /);
    expect(ok(['images', '-q', used]).trim()).not.toBe('');
    const all = ok(['image', 'prune', '-a', '-f', '--filter', 'label!=nothing']);
    expect(all).toContain(`untagged: docker.io/library/${used}`);
    expect(ok(['images', '-q', used]).trim()).toBe('');
  });
});
