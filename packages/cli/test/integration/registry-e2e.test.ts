/**
 * End to end, issue 3: the built `tscr` against a real `tscrd` and Debian's
 * `docker-registry` on 127.0.0.1 (open, and behind htpasswd): push, pull,
 * run with --pull, images --digests, login/logout, concurrent pulls, and
 * interop with skopeo when it is installed. Root only.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, rmdirSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { busyboxRootfsTar, hasCommand, makeTempDir, skipUnlessRoot, uniqueName } from '@tscr/testkit';
import { skipUnlessRegistry, startRegistry, type RegistryFixture } from '../../../registry-client/test/fixtures/registry.js';

const repo = fileURLToPath(new URL('../../../../', import.meta.url));
const CLI = join(repo, 'packages/cli/dist/main.cjs');
const DAEMON = join(repo, 'packages/daemon/dist/main.cjs');
const skip =
  skipUnlessRoot('runc', 'conmon') ??
  skipUnlessRegistry() ??
  (existsSync(CLI) && existsSync(DAEMON) ? undefined : 'needs a build (npm run build)');

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

describe.skipIf(skip)('tscr pull, push and login against a real registry', () => {
  let dir = '';
  let host = '';
  let dockerConfig = '';
  let daemon: ChildProcess | undefined;
  let open: RegistryFixture | undefined;
  let locked: RegistryFixture | undefined;
  const cgroupParent = uniqueName('cg');
  const local = `${uniqueName('img')}:1`;

  const env = () => ({ ...process.env, TSCR_HOST: host, DOCKER_CONFIG: dockerConfig });
  const tscr = (args: string[], input?: string): Result => {
    const r = spawnSync('node', [CLI, ...args], { env: env(), encoding: 'utf8', timeout: 60_000, input });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };
  const tscrAsync = (args: string[]): Promise<Result> =>
    new Promise((resolve) => {
      const child = spawn('node', [CLI, ...args], { env: env() });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
  const ok = (r: Result) => {
    expect(r.stderr, r.stderr).not.toMatch(/^Error/m);
    expect(r.code, r.stderr).toBe(0);
    return r;
  };

  beforeAll(async () => {
    dir = await makeTempDir('registry-e2e');
    host = `unix://${join(dir, 'exec', 'tscr.sock')}`;
    dockerConfig = join(dir, 'docker-config');
    [open, locked] = await Promise.all([
      startRegistry(),
      startRegistry({ kind: 'htpasswd', users: { tscr: 'sekret' } }),
    ]);
    daemon = spawn(
      'node',
      [DAEMON, '--host', host, '--root', join(dir, 'root'), '--exec-root', join(dir, 'exec'), '--cgroup-parent', cgroupParent],
      { stdio: ['ignore', 'ignore', 'inherit'] },
    );
    for (let i = 0; i < 100 && tscr(['version']).code !== 0; i++) await new Promise((r) => setTimeout(r, 100));
    const tar = await busyboxRootfsTar(dir, join(dir, 'busybox.tar'));
    ok(tscr(['image', 'import', tar, local]));
  }, 60_000);

  afterAll(async () => {
    for (const line of tscr(['ps', '-a', '-q']).stdout.split('\n').filter(Boolean)) tscr(['rm', '-f', line]);
    if (daemon?.pid) {
      daemon.kill('SIGTERM');
      await new Promise((r) => daemon?.once('exit', r));
    }
    await open?.stop();
    await locked?.stop();
    for (const m of readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => l.includes(dir)).reverse()) {
      const target = m.split(' ')[4];
      if (target) spawnSync('umount', ['-l', target]);
    }
    await rm(dir, { recursive: true, force: true });
    for (const ctl of readdirSync('/sys/fs/cgroup')) {
      const p = join('/sys/fs/cgroup', ctl, cgroupParent);
      if (existsSync(p)) rmdirSync(p);
    }
  });

  it('pushes an image, pulls it back after rmi, and runs it', () => {
    const ref = `${open?.host}/tscr-test/x:1`;
    ok(tscr(['tag', local, ref]));
    const push = ok(tscr(['push', ref]));
    expect(push.stdout).toContain(`The push refers to repository [${open?.host}/tscr-test/x]`);
    expect(push.stdout).toMatch(/^[0-9a-f]{12}: Pushed$/m);
    expect(push.stdout).toMatch(/^1: digest: sha256:[0-9a-f]{64} size: \d+$/m);
    // Remove the image itself (both names), so the pull fetches every blob.
    ok(tscr(['rmi', ref, local]));
    expect(tscr(['images', '-q', ref]).stdout).toBe('');

    const pull = ok(tscr(['pull', ref]));
    expect(pull.stdout).toContain('1: Pulling from tscr-test/x\n');
    expect(pull.stdout).toMatch(/^[0-9a-f]{12}: Pull complete$/m);
    expect(pull.stdout).toMatch(/^Digest: sha256:[0-9a-f]{64}$/m);
    expect(pull.stdout).toContain(`Status: Downloaded newer image for ${ref}\n${ref}\n`);
    expect(ok(tscr(['run', '--rm', ref, 'echo', 'hello'])).stdout).toBe('hello\n');
    ok(tscr(['tag', ref, local]));

    const again = ok(tscr(['pull', ref]));
    expect(again.stdout).toContain(`Status: Image is up to date for ${ref}`);
    expect(ok(tscr(['pull', '-q', ref])).stdout).toBe(`${ref}\n`);
  });

  it('shows the pulled digest in images --digests', () => {
    const ref = `${open?.host}/tscr-test/x:1`;
    const digest = /^Digest: (sha256:[0-9a-f]{64})$/m.exec(ok(tscr(['pull', ref])).stdout)?.[1];
    expect(digest).toBeDefined();
    const images = ok(tscr(['images', '--digests', `${open?.host}/tscr-test/x`])).stdout.split('\n');
    expect(images[0]).toMatch(/^REPOSITORY +TAG +DIGEST +IMAGE ID +CREATED +SIZE$/);
    expect(images[1]).toContain(digest);
  });

  it('pulls a missing image on run (--pull missing), and fails with --pull never', () => {
    const ref = `${open?.host}/tscr-test/x:1`;
    ok(tscr(['rmi', ref]));
    const never = tscr(['run', '--rm', '--pull', 'never', ref, 'true']);
    expect(never.code).toBe(125);
    expect(never.stderr).toMatch(/^Error: .*(no such image|not found)/im);
    const run = ok(tscr(['run', '--rm', ref, 'echo', 'pulled']));
    expect(run.stdout).toBe('pulled\n');
    expect(run.stderr).toContain(`Unable to find image '${ref}' locally\n`);
    expect(run.stderr).toContain(`Status: Downloaded newer image for ${ref}\n`);
    const always = ok(tscr(['run', '--rm', '--pull', 'always', ref, 'true']));
    expect(always.stderr).toContain(`Status: Image is up to date for ${ref}`);
    expect(tscr(['run', '--rm', '--pull', 'sometimes', ref, 'true']).code).toBe(125);
  });

  it('shares one pull between two concurrent pulls of the same reference', async () => {
    const ref = `${open?.host}/tscr-test/x:1`;
    tscr(['rmi', ref]);
    const [a, b] = await Promise.all([tscrAsync(['pull', ref]), tscrAsync(['pull', ref])]);
    for (const r of [a, b]) {
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/^Digest: sha256:[0-9a-f]{64}$/m);
    }
    // Which of the two saw the reference missing depends on timing; at least one did.
    expect(`${a.stdout}${b.stdout}`).toContain(`Status: Downloaded newer image for ${ref}`);
    expect(ok(tscr(['run', '--rm', ref, 'echo', 'ok'])).stdout).toBe('ok\n');
  });

  it('names an unknown reference in a clear error', () => {
    const r = tscr(['pull', `${open?.host}/tscr-test/nope:1`]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^Error: .*tscr-test\/nope:1.*manifest unknown/m);
    const bad = tscr(['pull', 'not a reference']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^Error: .*not a reference/m);
    const down = tscr(['pull', '127.0.0.1:1/tscr-test/x:1']);
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(/^Error: .*127\.0\.0\.1:1.*unreachable/m);
    expect(down.stderr).not.toContain('tscr daemon');
  });

  it('needs login for a registry behind basic auth; logout forgets it', () => {
    const ref = `${locked?.host}/tscr-test/private:1`;
    ok(tscr(['tag', local, ref]));
    const denied = tscr(['push', ref]);
    expect(denied.code).toBe(1);
    expect(denied.stderr).toMatch(/^Error: .*(unauthenticated|authentication|unauthorized)/im);
    const wrong = tscr(['login', '-u', 'tscr', '--password-stdin', locked?.host as string], 'wrong\n');
    expect(wrong.code).toBe(1);
    expect(existsSync(join(dockerConfig, 'config.json'))).toBe(false);

    const login = ok(tscr(['login', '-u', 'tscr', '--password-stdin', locked?.host as string], 'sekret\n'));
    expect(login.stdout).toBe('Login Succeeded\n');
    const config = JSON.parse(readFileSync(join(dockerConfig, 'config.json'), 'utf8')) as { auths: Record<string, { auth: string }> };
    expect(Buffer.from(config.auths[locked?.host as string]?.auth ?? '', 'base64').toString()).toBe('tscr:sekret');

    ok(tscr(['push', ref]));
    ok(tscr(['rmi', ref]));
    ok(tscr(['pull', ref]));
    expect(ok(tscr(['run', '--rm', ref, 'echo', 'private'])).stdout).toBe('private\n');

    expect(ok(tscr(['logout', locked?.host as string])).stdout).toBe(`Removing login credentials for ${locked?.host}\n`);
    const after = JSON.parse(readFileSync(join(dockerConfig, 'config.json'), 'utf8')) as { auths: Record<string, unknown> };
    expect(after.auths[locked?.host as string]).toBeUndefined();
    tscr(['rmi', ref]);
    const again = tscr(['pull', ref]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/^Error: .*(unauthenticated|authentication|unauthorized)/im);
    expect(ok(tscr(['logout', locked?.host as string])).stdout).toBe(`Not logged in to ${locked?.host}\n`);
  });

  describe.skipIf(!hasCommand('skopeo'))('with skopeo', () => {
    const skopeo = (...args: string[]) => {
      const r = spawnSync('skopeo', ['--insecure-policy', ...args], { encoding: 'utf8', timeout: 60_000 });
      expect(r.stderr).not.toMatch(/^Error|FATA/m);
      expect(r.status, r.stderr).toBe(0);
      return r.stdout;
    };

    it('round-trips an image tscr pushed through skopeo', () => {
      const src = `${open?.host}/tscr-test/x:1`;
      ok(tscr(['tag', local, src]));
      ok(tscr(['push', src]));
      const oci = join(dir, 'skopeo-oci');
      skopeo('copy', '--src-tls-verify=false', `docker://${src}`, `oci:${oci}:x`);
      const back = `${open?.host}/tscr-test/from-skopeo:oci`;
      skopeo('copy', '--dest-tls-verify=false', `oci:${oci}:x`, `docker://${back}`);
      ok(tscr(['pull', back]));
      expect(ok(tscr(['run', '--rm', back, 'echo', 'via skopeo'])).stdout).toBe('via skopeo\n');
    });

    it('pulls images skopeo pushed with OCI and Docker media types', () => {
      const oci = join(dir, 'skopeo-oci');
      for (const format of ['oci', 'v2s2']) {
        const ref = `${open?.host}/tscr-test/skopeo-${format}:1`;
        skopeo('copy', '--dest-tls-verify=false', '--format', format, `oci:${oci}:x`, `docker://${ref}`);
        const manifest = JSON.parse(skopeo('inspect', '--raw', '--tls-verify=false', `docker://${ref}`)) as { mediaType?: string };
        expect(manifest.mediaType).toBe(
          format === 'oci' ? 'application/vnd.oci.image.manifest.v1+json' : 'application/vnd.docker.distribution.manifest.v2+json',
        );
        ok(tscr(['pull', ref]));
        expect(ok(tscr(['run', '--rm', ref, 'echo', format])).stdout).toBe(`${format}\n`);
      }
    });
  });
});
