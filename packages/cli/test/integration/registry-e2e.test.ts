/**
 * End to end, issue 3: the built `tscr` against a real `tscrd` and Debian's
 * `docker-registry` on 127.0.0.1 (open, and behind htpasswd): push, pull,
 * run with --pull, images --digests, login/logout, concurrent pulls, and
 * interop with skopeo when it is installed. Root only.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { busyboxRootfsTar, hasCommand, uniqueName } from '@tscr/testkit';
import {
  skipUnlessRegistry,
  startRegistry,
  type RegistryFixture,
} from '../../../registry-client/test/fixtures/registry.js';
import { E2eDaemon, e2eSkipReason, runCliAsync, type Result } from '../fixtures/e2e.js';

const skip = e2eSkipReason() ?? skipUnlessRegistry();

describe.skipIf(skip)('tscr pull, push and login against a real registry', () => {
  let d: E2eDaemon;
  let dir = '';
  let dockerConfig = '';
  let open: RegistryFixture | undefined;
  let locked: RegistryFixture | undefined;
  const local = `${uniqueName('img')}:1`;

  const tscr = (args: string[], input?: string): Result => d.tscr(args, { DOCKER_CONFIG: dockerConfig }, input);
  const tscrAsync = (args: string[]): Promise<Result> => runCliAsync(args, d.env({ DOCKER_CONFIG: dockerConfig }));
  const ok = (r: Result) => {
    expect(r.stderr, r.stderr).not.toMatch(/^Error/m);
    expect(r.code, r.stderr).toBe(0);
    return r;
  };

  beforeAll(async () => {
    d = await E2eDaemon.create('registry-e2e');
    dir = d.dir;
    dockerConfig = join(dir, 'docker-config');
    [open, locked] = await Promise.all([
      startRegistry(),
      startRegistry({ kind: 'htpasswd', users: { tscr: 'sekret' } }),
    ]);
    await d.start();
    const tar = await busyboxRootfsTar(dir, join(dir, 'busybox.tar'));
    ok(tscr(['image', 'import', tar, local]));
  }, 60_000);

  afterAll(async () => {
    await open?.stop();
    await locked?.stop();
    await d.cleanup();
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
    const config = JSON.parse(readFileSync(join(dockerConfig, 'config.json'), 'utf8')) as {
      auths: Record<string, { auth: string }>;
    };
    expect(Buffer.from(config.auths[locked?.host as string]?.auth ?? '', 'base64').toString()).toBe('tscr:sekret');

    ok(tscr(['push', ref]));
    ok(tscr(['rmi', ref]));
    ok(tscr(['pull', ref]));
    expect(ok(tscr(['run', '--rm', ref, 'echo', 'private'])).stdout).toBe('private\n');

    expect(ok(tscr(['logout', locked?.host as string])).stdout).toBe(
      `Removing login credentials for ${locked?.host}\n`,
    );
    const after = JSON.parse(readFileSync(join(dockerConfig, 'config.json'), 'utf8')) as {
      auths: Record<string, unknown>;
    };
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
        const manifest = JSON.parse(skopeo('inspect', '--raw', '--tls-verify=false', `docker://${ref}`)) as {
          mediaType?: string;
        };
        expect(manifest.mediaType).toBe(
          format === 'oci'
            ? 'application/vnd.oci.image.manifest.v1+json'
            : 'application/vnd.docker.distribution.manifest.v2+json',
        );
        ok(tscr(['pull', ref]));
        expect(ok(tscr(['run', '--rm', ref, 'echo', format])).stdout).toBe(`${format}\n`);
      }
    });
  });
});
