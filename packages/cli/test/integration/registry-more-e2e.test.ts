/**
 * End to end, the rest of issue 3: repo digests recorded by `push`, progress
 * that names layers only, `pull --all-tags`, and an interactive `login` on
 * a terminal (through `script`, which gives the CLI a pseudo-terminal).
 * The built `tscr` against a real `tscrd` and Debian's `docker-registry`.
 * Root only.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { busyboxRootfsTar, hasCommand, uniqueName } from '@tscr/testkit';
import {
  skipUnlessRegistry,
  startRegistry,
  type RegistryFixture,
} from '../../../registry-client/test/fixtures/registry.js';
import { CLI, E2eDaemon, e2eSkipReason, type Result } from '../fixtures/e2e.js';

const skip = e2eSkipReason() ?? skipUnlessRegistry();

describe.skipIf(skip)('tscr push digests, pull --all-tags and interactive login', () => {
  let d: E2eDaemon;
  let dockerConfig = '';
  let open: RegistryFixture | undefined;
  let locked: RegistryFixture | undefined;
  const local = `${uniqueName('img')}:1`;

  const tscr = (args: string[], input?: string): Result => d.tscr(args, { DOCKER_CONFIG: dockerConfig }, input);
  const ok = (r: Result) => {
    expect(r.stderr, r.stderr).not.toMatch(/^Error/m);
    expect(r.code, r.stderr).toBe(0);
    return r;
  };
  const inspect = (ref: string) => JSON.parse(ok(tscr(['image', 'inspect', ref])).stdout)[0];

  beforeAll(async () => {
    d = await E2eDaemon.create('registry-more-e2e');
    dockerConfig = join(d.dir, 'docker-config');
    [open, locked] = await Promise.all([
      startRegistry(),
      startRegistry({ kind: 'htpasswd', users: { tscr: 'sekret' } }),
    ]);
    await d.start();
    const tar = await busyboxRootfsTar(d.dir, join(d.dir, 'busybox.tar'));
    ok(tscr(['image', 'import', tar, local]));
  }, 60_000);

  afterAll(async () => {
    await open?.stop();
    await locked?.stop();
    await d.cleanup();
  });

  it('records the pushed manifest as a repo digest, as docker', () => {
    const ref = `${open?.host}/tscr-test/pushed:1`;
    ok(tscr(['tag', local, ref]));
    expect(inspect(ref).RepoDigests).toEqual([]);
    const push = ok(tscr(['push', ref]));
    const digest = /^1: digest: (sha256:[0-9a-f]{64}) size: \d+$/m.exec(push.stdout)?.[1];
    expect(digest).toBeDefined();
    expect(inspect(ref).RepoDigests).toEqual([`${open?.host}/tscr-test/pushed@${digest}`]);
    // The repo digest names the image too.
    expect(inspect(`${open?.host}/tscr-test/pushed@${digest}`).Id).toBe(inspect(ref).Id);
  });

  it('shows progress for layers only, never for the config', () => {
    const ref = `${open?.host}/tscr-test/layers:1`;
    ok(tscr(['tag', local, ref]));
    const push = ok(tscr(['push', ref]));
    const img = inspect(ref);
    const configLine = new RegExp(`^${(img.Id as string).slice(7, 19)}:`, 'm');
    expect(push.stdout).not.toMatch(configLine);
    expect(push.stdout.match(/^[0-9a-f]{12}: (Pushed|Layer already exists)$/gm)).toHaveLength(img.RootFS.Layers.length);
    ok(tscr(['rmi', '-f', img.Id])); // every name: the pull fetches every blob
    expect(tscr(['images', '-q']).stdout).toBe('');
    const pull = ok(tscr(['pull', ref]));
    expect(pull.stdout).not.toMatch(configLine);
    expect(pull.stdout.match(/^[0-9a-f]{12}: Pulling fs layer$/gm)).toHaveLength(img.RootFS.Layers.length);
    ok(tscr(['tag', ref, local]));
  });

  it('pulls every tag of a repository with --all-tags', () => {
    const repo = `${open?.host}/tscr-test/alltags`;
    for (const tag of ['a', 'b']) {
      ok(tscr(['tag', local, `${repo}:${tag}`]));
      ok(tscr(['push', '-q', `${repo}:${tag}`]));
      ok(tscr(['rmi', `${repo}:${tag}`]));
    }
    const pull = ok(tscr(['pull', '--all-tags', repo]));
    expect(pull.stdout).toContain(`Status: Downloaded newer image for ${repo}:a\n`);
    expect(pull.stdout.endsWith(`${repo}\n`)).toBe(true);
    expect(inspect(`${repo}:a`).Id).toBe(inspect(`${repo}:b`).Id);
    expect(ok(tscr(['pull', '-a', '-q', repo])).stdout).toBe(`${repo}\n`);

    const tagged = tscr(['pull', '-a', `${repo}:a`]);
    expect(tagged.code).not.toBe(0);
    expect(tagged.stderr).toContain("tag can't be used with --all-tags/-a");
    const missing = tscr(['pull', '-a', `${open?.host}/tscr-test/${uniqueName('none')}`]);
    expect(missing.code).not.toBe(0);
  });

  it.skipIf(!hasCommand('script'))('asks for the user name and password on a terminal', async () => {
    const host = locked?.host as string;
    /** Runs `tscr login` on a pseudo-terminal, typing each answer once its prompt shows. */
    const login = (user: string, password: string) =>
      new Promise<{ code: number | null; out: string }>((resolve) => {
        const child = spawn('script', ['-qec', `node ${CLI} login ${host}`, '/dev/null'], {
          env: d.env({ DOCKER_CONFIG: dockerConfig }),
        });
        let out = '';
        const answered = new Set<string>();
        child.stdout.on('data', (b: Buffer) => {
          out += b.toString();
          for (const [prompt, answer] of [
            ['Username: ', user],
            ['Password: ', password],
          ] as const) {
            if (out.includes(prompt) && !answered.has(prompt)) {
              answered.add(prompt);
              child.stdin.write(`${answer}\r`);
            }
          }
        });
        const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
        child.on('close', (code) => {
          clearTimeout(timer);
          resolve({ code, out });
        });
      });
    const bad = await login('tscr', 'wrong');
    expect(bad.code).not.toBe(0);
    const good = await login('tscr', 'sekret');
    expect(good.out).toContain('Username: tscr'); // the user name echoes
    expect(good.out).toContain('Password: ');
    expect(good.out).not.toContain('sekret'); // the password does not
    expect(good.out).toContain('Login Succeeded');
    expect(good.code).toBe(0);
    const config = JSON.parse(readFileSync(join(dockerConfig, 'config.json'), 'utf8'));
    expect(config.auths[host].auth).toBe(Buffer.from('tscr:sekret').toString('base64'));
    ok(tscr(['logout', host]));

    // Without a terminal there is nothing to ask.
    const piped = tscr(['login', host], '');
    expect(piped.code).not.toBe(0);
    expect(piped.stderr).toContain('Cannot perform an interactive login from a non TTY device');
  });
  it('pulls a missing base image for a build, as docker build does', () => {
    const base = `${open?.host}/tscr-test/build-base:1`;
    ok(tscr(['tag', local, base]));
    ok(tscr(['push', base]));
    ok(tscr(['rmi', base]));
    const ctx = join(d.dir, 'build-ctx');
    mkdirSync(ctx, { recursive: true });
    writeFileSync(join(ctx, 'Dockerfile'), `FROM ${base}\nRUN echo pulled > /f\n`);
    const built = ok(tscr(['build', '-t', `${uniqueName('built')}:1`, ctx]));
    expect(built.stderr).toContain(`Pulling ${base}`);
    const digests: string[] = inspect(base).RepoDigests;
    expect(digests.some((r) => r.startsWith(`${open?.host}/tscr-test/build-base@sha256:`))).toBe(true);

    writeFileSync(join(ctx, 'Dockerfile'), `FROM ${open?.host}/tscr-test/never-pushed:1\n`);
    const failed = tscr(['build', ctx]);
    expect(failed.code).not.toBe(0);
    expect(failed.stderr).toContain('base image');
    expect(failed.stderr).toContain('not found locally or in its registry');
  });
});
