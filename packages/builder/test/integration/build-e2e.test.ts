/**
 * `tscr build` end to end: the built CLI against a real `tscrd` whose
 * builder runs RUN steps with runc. Multi-stage builds, the layer cache,
 * `--no-cache` reproducibility and the failures of the "bad input"
 * list, each leaving no snapshot, task, mount or scratch directory behind.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { busyboxRootfsTar, uniqueName } from '@tscr/testkit';
import { CLI, E2eDaemon, e2eSkipReason, mountsUnder, waitFor, type Result } from '../../../cli/test/fixtures/e2e.js';

const DOCKERFILE = `# syntax=docker/dockerfile:1
ARG BASE
FROM $BASE AS builder
ARG TOKEN
RUN mkdir -p /out && echo "built with $TOKEN" > /out/result && rm /bin/ls
COPY --chmod=600 a.txt /out/
FROM builder AS unused
RUN exit 3
FROM \${BASE}
ENV GREETING=hello \\
    OTHER="two words"
WORKDIR /app
COPY --from=builder /out/ ./
COPY . /ctx/
COPY <<EOF /app/inline.txt
inline $GREETING
EOF
LABEL version=1
EXPOSE 8080
CMD ["sh", "-c", "cat /app/result /app/inline.txt; echo $GREETING; ls /ctx"]
`;

describe.skipIf(e2eSkipReason())('tscr build end to end', () => {
  let d: E2eDaemon;
  let ctx: string;
  const repo = uniqueName('build');
  const base = `${repo}:base`;
  const tag = `${repo}:app`;

  const tscr = (args: string[], input?: string): Result => d.tscr(args, {}, input);
  const ok = (args: string[], input?: string): string => {
    const r = tscr(args, input);
    if (r.code !== 0) throw new Error(`tscr ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
    return r.stdout;
  };
  const build = (...extra: string[]): string =>
    ok([
      'build',
      '--build-arg',
      `BASE=${base}`,
      '--build-arg',
      'TOKEN=t0k',
      '--build-arg',
      'UNUSED=zzz',
      ...extra,
      ctx,
    ]);
  const inspect = (ref: string) =>
    (
      JSON.parse(ok(['image', 'inspect', ref])) as {
        Id: string;
        Parent: string;
        Config: Record<string, unknown>;
        RootFS: { Layers: string[] };
      }[]
    )[0]!;
  /** Step numbers reported as cached in build output. */
  const cachedSteps = (out: string): number[] => {
    const steps: number[] = [];
    let current = 0;
    for (const line of out.split('\n')) {
      const m = /^Step (\d+)\//.exec(line);
      if (m) current = Number(m[1]);
      if (line === ' ---> Using cache') steps.push(current);
    }
    return steps;
  };
  /** True when no build snapshot, task, mount or scratch directory is left. */
  const clean = (): boolean => {
    const snapshots = readdirSync(join(d.dir, 'root', 'image', 'snapshots')).filter((k) => k.startsWith('build-'));
    const tmp = readdirSync(join(d.dir, 'root', 'builder', 'tmp'));
    const tasks = spawnSync('find', [join(d.dir, 'exec', 'runtime'), '-name', 'build-*'], { encoding: 'utf8' });
    return (
      snapshots.length + tmp.length + mountsUnder(join(d.dir, 'root', 'builder')).length === 0 && !tasks.stdout.trim()
    );
  };
  /** Asserts a build left nothing behind: no snapshot, task, mount or scratch directory of its own. */
  const nothingLeft = async () => {
    // A step's task bundle goes through the runtime's trash, removed in the background a moment after the build.
    await waitFor('the build cleanup', clean).catch(() => undefined);
    const snapshots = readdirSync(join(d.dir, 'root', 'image', 'snapshots')).filter((k) => k.startsWith('build-'));
    expect(snapshots).toEqual([]);
    expect(readdirSync(join(d.dir, 'root', 'builder', 'tmp'))).toEqual([]);
    expect(mountsUnder(join(d.dir, 'root', 'builder'))).toEqual([]);
    const runtimeDir = join(d.dir, 'exec', 'runtime');
    const tasks = spawnSync('find', [runtimeDir, '-name', 'build-*'], { encoding: 'utf8' });
    expect(tasks.stdout.split('\n').filter(Boolean)).toEqual([]);
  };

  beforeAll(async () => {
    d = await E2eDaemon.create('build');
    await d.start();
    const tar = await busyboxRootfsTar(d.dir, join(d.dir, 'busybox.tar'));
    ok(['import', '-c', 'CMD ["sh"]', tar, base]);
    ctx = join(d.dir, 'ctx');
    mkdirSync(join(ctx, 'sub'), { recursive: true });
    writeFileSync(join(ctx, 'Dockerfile'), DOCKERFILE);
    writeFileSync(join(ctx, 'a.txt'), 'A1\n');
    writeFileSync(join(ctx, 'sub', 'b.txt'), 'B\n');
    writeFileSync(join(ctx, 'x.secret'), 'never copied\n');
    writeFileSync(join(ctx, '.dockerignore'), '*.secret\n');
  });
  afterAll(async () => {
    if (d) await d.cleanup();
  });

  let firstId = '';

  it('builds the target and the stages it needs, streaming steps, and tags the result', async () => {
    const out = build('-t', tag, '--label', 'from=cli');
    expect(out).toMatch(/^Step 1\/13 : FROM \$BASE AS builder$/m);
    expect(out).toMatch(/^Step 5\/13 : FROM \$\{BASE\}$/m);
    expect(out).not.toContain('exit 3'); // the unused stage is not built
    expect(out).toMatch(/Successfully built [0-9a-f]{12}\nSuccessfully tagged .*:app\n$/);
    const run = ok(['run', '--rm', '--network', 'none', tag]);
    expect(run).toBe('built with t0k\ninline hello\nhello\nDockerfile\na.txt\nsub\n');
    const img = inspect(tag);
    firstId = img.Id;
    expect(img.Config.Env).toEqual(expect.arrayContaining(['GREETING=hello', 'OTHER=two words']));
    expect(img.Config.WorkingDir).toBe('/app');
    expect(img.Config.Labels).toEqual({ version: '1', from: 'cli' });
    expect(img.Config.ExposedPorts).toEqual({ '8080/tcp': {} });
    expect(img.Config.Cmd).toEqual(['sh', '-c', 'cat /app/result /app/inline.txt; echo $GREETING; ls /ctx']);
    // base layer + COPY --from + COPY . + COPY heredoc
    expect(img.RootFS.Layers).toHaveLength(4);
    const mode = ok(['run', '--rm', '--network', 'none', tag, 'stat', '-c', '%a %u', '/app/a.txt']);
    expect(mode).toBe('600 0\n');
    const history = ok(['history', '--no-trunc', tag]);
    expect(history).toContain('ENV GREETING=hello OTHER=two words');
    expect(history).not.toContain('zzz'); // an unused build arg never reaches the history
    await nothingLeft();
  });

  it('the builder stage records the build arg its RUN used, like Docker', () => {
    ok([
      'build',
      '--build-arg',
      `BASE=${base}`,
      '--build-arg',
      'TOKEN=t0k',
      '--target',
      'builder',
      '-t',
      `${repo}:builder`,
      ctx,
    ]);
    const history = ok(['history', '--no-trunc', `${repo}:builder`]);
    expect(history).toContain('|1 TOKEN=t0k /bin/sh -c mkdir -p /out');
    expect(history).not.toContain('BASE=');
    // The RUN's deletion is a whiteout in its layer.
    const r = tscr(['run', '--rm', '--network', 'none', `${repo}:builder`, 'sh', '-c', 'ls /bin/ls; cat /out/result']);
    expect(r.stdout).toBe('built with t0k\n');
    expect(r.stderr).toContain('/bin/ls');
  });

  it('a rebuild without changes comes entirely from the cache', () => {
    const out = build('-t', tag, '--label', 'from=cli');
    expect(cachedSteps(out)).toEqual([2, 3, 4, 6, 7, 8, 9, 10, 11, 12, 13]);
    expect(out).not.toContain('Running');
    expect(inspect(tag).Id).toBe(firstId);
  });

  it('lists the images of the steps only with images -a, and image prune keeps them (they are not dangling)', () => {
    const ids = (...extra: string[]) =>
      ok(['images', '-q', '--no-trunc', ...extra])
        .trim()
        .split('\n');
    const parent = inspect(tag).Parent;
    expect(parent).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(ids('-a')).toContain(parent);
    expect(ids()).not.toContain(parent);
    ok(['image', 'prune', '-f']);
    expect(ids('-a')).toContain(parent);
    expect(cachedSteps(build('-t', tag, '--label', 'from=cli'))).toEqual([2, 3, 4, 6, 7, 8, 9, 10, 11, 12, 13]);
  });

  it('changing one file rebuilds from the COPY that reads it, and nothing before it', () => {
    writeFileSync(join(ctx, 'a.txt'), 'A2\n');
    const out = build('-t', tag, '--label', 'from=cli');
    // builder stage: ARG, RUN cached; COPY a.txt rebuilt. Final stage: ENV, WORKDIR cached; COPY --from rebuilt on.
    expect(cachedSteps(out)).toEqual([2, 3, 6, 7]);
    expect(inspect(tag).Id).not.toBe(firstId);
    expect(ok(['run', '--rm', '--network', 'none', tag, 'cat', '/app/a.txt'])).toBe('A2\n');
  });

  it('--no-cache runs every step, and the same input gives the same layers', async () => {
    const a = build('--no-cache', '-q').trim();
    const b = build('--no-cache', '-q').trim();
    expect(a).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(inspect(a).RootFS.Layers).toEqual(inspect(b).RootFS.Layers);
    await nothingLeft();
  });

  it('writes --iidfile and reads the Dockerfile from -f -', () => {
    const iid = join(d.dir, 'iid');
    const out = ok(['build', '-f', '-', '--iidfile', iid, '-q', ctx], `FROM ${base}\nENV FROM_STDIN=1\n`);
    const id = out.trim();
    expect(spawnSync('cat', [iid], { encoding: 'utf8' }).stdout).toBe(id);
    expect(inspect(id).Config.Env).toContain('FROM_STDIN=1');
  });

  const bad: [string, string, string, RegExp][] = [
    ['a missing Dockerfile', '', 'nope.Dockerfile', /cannot find the Dockerfile/],
    ['a syntax error', 'FROM busybox\nFOO bar\n', '', /Dockerfile:2: unknown instruction: FOO/],
    [
      'a COPY source outside the context',
      'FROM @BASE\nCOPY ../x /x\n',
      '',
      /Dockerfile:2: .*outside the build context/,
    ],
    [
      'a missing COPY source',
      'FROM @BASE\nCOPY missing.txt /x\n',
      '',
      /Dockerfile:2: .*file not found in build context: missing.txt/,
    ],
    [
      'a base image that does not exist',
      // On a closed loopback port: the pull it causes stays on this machine.
      'FROM 127.0.0.1:9/tscr-test-none:nope\nRUN true\n',
      '',
      /Dockerfile:1: base image 127\.0\.0\.1:9\/tscr-test-none:nope not found locally, and pulling it failed/,
    ],
    [
      'a COPY --from cycle',
      'FROM @BASE AS a\nCOPY --from=b /x /x\nFROM @BASE AS b\nCOPY --from=a /y /y\n',
      '',
      /circular dependency/,
    ],
    ['a remote ADD', 'FROM @BASE\nADD https://example.com/x /x\n', '', /remote URL/],
  ];
  for (const [what, text, file, message] of bad) {
    it(`fails clearly on ${what}, leaving nothing behind`, async () => {
      const before = ok(['images', '-q', '--no-trunc']);
      const dir = join(d.dir, `bad-${uniqueName('ctx')}`);
      mkdirSync(dir);
      if (text) writeFileSync(join(dir, 'Dockerfile'), text.replaceAll('@BASE', base));
      const r = tscr(['build', ...(file ? ['-f', join(dir, file)] : []), dir]);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(message);
      expect(ok(['images', '-q', '--no-trunc'])).toBe(before);
      await nothingLeft();
    });
  }

  it('a build whose client goes away mid-RUN stops, leaving nothing behind', async () => {
    const dir = join(d.dir, 'interrupted');
    mkdirSync(dir);
    writeFileSync(join(dir, 'Dockerfile'), `FROM ${base}\nRUN echo started; sleep 60\n`);
    const child = spawn('node', [CLI, 'build', dir], { env: d.env() });
    let out = '';
    child.stdout.on('data', (b: Buffer) => {
      out += b.toString();
    });
    const exited = new Promise((r) => child.once('exit', r));
    await waitFor('the RUN step', () => out.includes('started'));
    child.kill('SIGKILL');
    await exited;
    await waitFor('the build cleanup', clean);
    await nothingLeft();
  });

  it('a failing RUN stops the build naming the step and exit code, and keeps the cache before it', async () => {
    const dir = join(d.dir, 'bad-run');
    mkdirSync(dir);
    writeFileSync(join(dir, 'Dockerfile'), `FROM ${base}\nRUN echo first > /f\nRUN echo out; exit 7\nRUN echo never\n`);
    const r = tscr(['build', dir]);
    expect(r.code).not.toBe(0);
    expect(r.stdout).toContain('out\n');
    expect(r.stderr).toMatch(/step 3\/4 \(Dockerfile:3\).*returned a non-zero code: 7/);
    await nothingLeft();
    const again = tscr(['build', dir]);
    expect(again.code).not.toBe(0);
    expect(cachedSteps(again.stdout)).toEqual([2]);
    await nothingLeft();
  });
});
