/**
 * The Docker 28 CLI (and Debian's 20.10 CLI where set up) against tscrd's
 * Docker Engine API: real containers (runc + conmon + overlayfs), no Docker
 * daemon anywhere. Root only; everything under /tmp/tscr-test-compat-….
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uniqueName } from '@tscr/testkit';
import { CompatDaemon, DOCKER, DOCKER_20, compatSkipReason, type Result, waitFor } from '../fixtures/compat.js';

const skip = compatSkipReason();

describe.skipIf(skip)('Docker CLI against tscrd', () => {
  let c: CompatDaemon;
  const image = `${uniqueName('cimg')}:test`;
  const docker = (args: string[], input?: string): Result => c.docker(args, input === undefined ? {} : { input });
  const ok = (args: string[]): string => {
    const r = docker(args);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    return r.stdout;
  };

  beforeAll(async () => {
    c = await CompatDaemon.create('cli');
    await c.start();
    await c.importBusybox(image);
  });

  afterAll(async () => {
    await c?.cleanup();
  });

  it('negotiates the API version and names the engine', () => {
    const out = ok(['version', '--format', '{{.Server.Platform.Name}} {{.Server.APIVersion}} {{.Client.APIVersion}}']);
    expect(out.trim()).toBe('tscr 1.51 1.50');
  });

  it('docker run --rm: output on the right streams, the exit code, and the container gone', () => {
    const name = uniqueName('run');
    const r = docker(['run', '--rm', '--name', name, image, 'sh', '-c', 'echo out; echo err >&2; exit 3']);
    expect(r.stdout).toBe('out\n');
    expect(r.stderr).toBe('err\n');
    expect(r.code).toBe(3);
    expect(ok(['ps', '-a', '--filter', `name=${name}`, '-q'])).toBe('');
  });

  it('run -d, ps, logs, inspect, stop and rm; the native CLI sees the same container', () => {
    const name = uniqueName('detached');
    const id = ok([
      'run',
      '-d',
      '--name',
      name,
      '--label',
      'tscr-test=yes',
      image,
      'sh',
      '-c',
      'echo started; sleep 1000',
    ]).trim();
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    expect(ok(['ps', '--filter', 'label=tscr-test=yes', '--format', '{{.Names}}']).trim()).toBe(name);
    waitForLogs(name, 'started\n');
    const state = JSON.parse(ok(['inspect', '--format', '{{json .State}}', name]));
    expect(state.Running).toBe(true);
    expect(state.Status).toBe('running');
    expect(ok(['inspect', '--format', '{{.Name}} {{.Config.Image}}', name]).trim()).toBe(`/${name} ${image}`);
    // The same container through the gRPC API and the native CLI.
    const native = c.tscr(['ps', '--format', '{{.Names}}']);
    expect(native.code).toBe(0);
    expect(native.stdout).toContain(name);
    ok(['stop', '-t', '1', name]);
    expect(ok(['inspect', '--format', '{{.State.Status}}', name]).trim()).toBe('exited');
    ok(['rm', name]);
    expect(c.tscr(['inspect', name]).code).not.toBe(0);
  });

  function waitForLogs(name: string, want: string): void {
    for (let i = 0; i < 50; i++) {
      if (docker(['logs', name]).stdout === want) return;
      spawnSleep(100);
    }
    expect(docker(['logs', name]).stdout).toBe(want);
  }

  it('a container made by the native CLI is started, waited for and removed through the Docker API', () => {
    const name = uniqueName('native');
    const created = c.tscr(['create', '--name', name, image, 'sh', '-c', 'echo from-native; exit 7']);
    expect(created.code).toBe(0);
    expect(ok(['inspect', '--format', '{{.State.Status}}', name]).trim()).toBe('created');
    ok(['start', name]);
    expect(ok(['wait', name]).trim()).toBe('7');
    expect(ok(['logs', name])).toBe('from-native\n');
    const tail = docker(['logs', '--timestamps', '--tail', '1', name]);
    expect(tail.stdout).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z from-native\n$/);
    ok(['rm', name]);
    expect(c.tscr(['ps', '-a', '--format', '{{.Names}}']).stdout).not.toContain(name);
  });

  it('named volumes keep data between containers', () => {
    const vol = uniqueName('vol');
    expect(ok(['volume', 'create', vol]).trim()).toBe(vol);
    ok(['run', '--rm', '-v', `${vol}:/data`, image, 'sh', '-c', 'echo kept > /data/f']);
    expect(ok(['run', '--rm', '-v', `${vol}:/data:ro`, image, 'cat', '/data/f'])).toBe('kept\n');
    expect(ok(['volume', 'ls', '--format', '{{.Name}}']).split('\n')).toContain(vol);
    const v = JSON.parse(ok(['volume', 'inspect', vol]))[0];
    expect(v.Scope).toBe('local');
    expect(v.Mountpoint).toContain(vol);
    ok(['volume', 'rm', vol]);
    expect(docker(['volume', 'inspect', vol]).code).toBe(1);
  });

  it('images: list, inspect, tag and remove', () => {
    const target = `${uniqueName('tagged')}:v1`;
    expect(ok(['images', '--format', '{{.Repository}}:{{.Tag}}']).split('\n')).toContain(image);
    const id = ok(['image', 'inspect', '--format', '{{.Id}}', image]).trim();
    expect(id).toMatch(/^sha256:[0-9a-f]{64}$/);
    ok(['tag', image, target]);
    expect(ok(['image', 'inspect', '--format', '{{.Id}}', target]).trim()).toBe(id);
    expect(ok(['rmi', target])).toContain(`Untagged: ${target}`);
    expect(docker(['image', 'inspect', target]).code).toBe(1);
  });

  it('events: a filtered stream sees the start of a container', async () => {
    const name = uniqueName('ev');
    const ev = c.dockerAsync([
      'events',
      '--filter',
      'type=container',
      '--filter',
      'event=start',
      '--format',
      '{{.Actor.Attributes.name}} {{.Action}}',
    ]);
    // `docker events` subscribes before it prints anything; give it a moment, then make the event.
    await new Promise((r) => setTimeout(r, 500));
    ok(['run', '--rm', '--name', name, image, 'true']);
    await waitFor('the start event', () => ev.stdout().includes(`${name} start`));
    ev.child.kill('SIGTERM');
    await ev.exited;
    expect(ev.stdout()).toContain(`${name} start`);
    // Replayed from the daemon's history: --since in the past, --until now, so the command ends by itself.
    const past = docker([
      'events',
      '--since',
      String(Math.floor(Date.now() / 1000) - 60),
      '--until',
      String(Math.floor(Date.now() / 1000) + 1),
      '--filter',
      `container=${name}`,
      '--format',
      '{{.Action}}',
    ]);
    expect(past.code).toBe(0);
    expect(past.stdout.split('\n')).toEqual(expect.arrayContaining(['create', 'start', 'die', 'destroy']));
  });

  it('exec: output, exit codes, environment, stdin', () => {
    const name = uniqueName('exec');
    ok(['run', '-d', '--name', name, image, 'sleep', '1000']);
    const r = docker(['exec', '-e', 'GREETING=hello', name, 'sh', '-c', 'echo $GREETING; echo oops >&2; exit 4']);
    expect(r.stdout).toBe('hello\n');
    expect(r.stderr).toBe('oops\n');
    expect(r.code).toBe(4);
    expect(docker(['exec', '-i', name, 'cat'], 'piped in\n').stdout).toBe('piped in\n');
    ok(['exec', '-d', name, 'sh', '-c', 'echo bg > /tmp/bg']);
    for (let i = 0; i < 50 && docker(['exec', name, 'cat', '/tmp/bg']).stdout !== 'bg\n'; i++) spawnSleep(100);
    expect(docker(['exec', name, 'cat', '/tmp/bg']).stdout).toBe('bg\n');
    ok(['rm', '-f', name]);
  });

  it("run -i: the end of piped stdin is the container's EOF (both CLI versions)", () => {
    for (const bin of [DOCKER, DOCKER_20].filter((b) => existsSync(b))) {
      // SIGKILL on timeout: the CLI forwards SIGTERM to the container and would wait on.
      const r = spawnSync(bin, ['run', '-i', '--rm', image, 'cat'], {
        env: c.env(),
        input: 'hi\n',
        encoding: 'utf8',
        timeout: 20_000,
        killSignal: 'SIGKILL',
      });
      expect(r.signal, `${bin} run -i still waiting`).toBeNull();
      expect(r.stdout).toBe('hi\n');
      expect(r.status).toBe(0);
    }
    expect(ok(['ps', '-a', '-q', '--filter', `ancestor=${image}`, '--filter', 'status=exited'])).toBe('');
  });

  it('commit -c applies Dockerfile instructions to the new image', () => {
    const name = uniqueName('commit');
    const tag = `${uniqueName('committed')}:v1`;
    ok(['run', '--name', name, image, 'sh', '-c', 'echo committed-file > /f']);
    ok(['commit', '-c', 'CMD ["cat","/f"]', '-c', 'ENV ANSWER=42', '-m', 'a note', name, tag]);
    const cfg = JSON.parse(ok(['image', 'inspect', '--format', '{{json .Config}}', tag]));
    expect(cfg.Cmd).toEqual(['cat', '/f']);
    expect(cfg.Env).toContain('ANSWER=42');
    expect(ok(['run', '--rm', tag])).toBe('committed-file\n');
    const bad = docker(['commit', '-c', 'NOSUCH x', name, `${tag}-bad`]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/NOSUCH/i);
    ok(['rm', name]);
    ok(['rmi', tag]);
  });

  it('cp copies files out of and into a container', () => {
    const name = uniqueName('cp');
    ok(['run', '-d', '--name', name, image, 'sh', '-c', 'echo inside > /tmp/in.txt; sleep 1000']);
    const dir = `${c.dir}/cp`;
    for (let i = 0; i < 50 && docker(['cp', `${name}:/tmp/in.txt`, `${dir}-out.txt`]).code !== 0; i++) spawnSleep(100);
    expect(readFileSync(`${dir}-out.txt`, 'utf8')).toBe('inside\n');
    writeFileSync(`${dir}-in.txt`, 'outside\n');
    ok(['cp', `${dir}-in.txt`, `${name}:/tmp/put.txt`]);
    const back = docker(['cp', `${name}:/tmp/put.txt`, '-']);
    expect(back.code).toBe(0);
    expect(back.stdout).toContain('outside\n');
    ok(['rm', '-f', name]);
  });

  it('build: the legacy builder with a tar context, build args and tags', () => {
    const ctxDir = `${c.dir}/build-ctx`;
    mkdirSync(ctxDir, { recursive: true });
    writeFileSync(`${ctxDir}/hello.txt`, 'from the context\n');
    writeFileSync(
      `${ctxDir}/Dockerfile`,
      `FROM ${image}\nARG WHO=nobody\nCOPY hello.txt /hello.txt\nRUN echo "built for $WHO" > /who.txt\nCMD ["cat", "/hello.txt", "/who.txt"]\n`,
    );
    const tag = `${uniqueName('built')}:v1`;
    const b = c.docker(['build', '-t', tag, '--build-arg', 'WHO=compat', ctxDir], { env: { DOCKER_BUILDKIT: '0' } });
    expect(b.code).toBe(0);
    expect(b.stdout).toContain(`Successfully tagged ${tag}`);
    expect(ok(['run', '--rm', tag])).toBe('from the context\nbuilt for compat\n');
    ok(['rmi', tag]);
  });

  it('control: pause, rename, top, stats, update, restart, diff, export', () => {
    const name = uniqueName('ctl');
    const renamed = uniqueName('ctl2');
    ok(['run', '-d', '--name', name, image, 'sh', '-c', 'touch /made-here; sleep 1000']);
    ok(['pause', name]);
    expect(ok(['inspect', '--format', '{{.State.Status}} {{.State.Paused}}', name]).trim()).toBe('paused true');
    ok(['unpause', name]);
    ok(['rename', name, renamed]);
    expect(ok(['top', renamed])).toContain('sleep 1000');
    const stats = ok(['stats', '--no-stream', '--format', '{{.Name}} {{.PIDs}}', renamed]).trim();
    expect(stats).toMatch(new RegExp(`^${renamed} \\d+$`));
    ok(['update', '--memory', '64m', '--memory-swap', '128m', renamed]);
    expect(ok(['inspect', '--format', '{{.HostConfig.Memory}}', renamed]).trim()).toBe(String(64 * 1024 * 1024));
    ok(['restart', '-t', '1', renamed]);
    expect(ok(['inspect', '--format', '{{.State.Running}}', renamed]).trim()).toBe('true');
    expect(ok(['diff', renamed])).toContain('A /made-here');
    ok(['export', '-o', `${c.dir}/exported.tar`, renamed]);
    expect(readFileSync(`${c.dir}/exported.tar`).includes('made-here')).toBe(true);
    ok(['rm', '-f', renamed]);
  });

  it('commit, history, save and load', () => {
    const name = uniqueName('commit');
    const tag = `${uniqueName('committed')}:v1`;
    ok(['run', '--name', name, image, 'sh', '-c', 'echo committed > /c.txt']);
    ok(['commit', name, tag]);
    ok(['rm', name]);
    expect(ok(['run', '--rm', tag, 'cat', '/c.txt'])).toBe('committed\n');
    expect(ok(['history', '--format', '{{.ID}}', tag]).split('\n').filter(Boolean).length).toBeGreaterThanOrEqual(2);
    const tar = `${c.dir}/saved.tar`;
    ok(['save', '-o', tar, tag]);
    ok(['rmi', tag]);
    expect(ok(['load', '-i', tar])).toContain(`Loaded image: ${tag}`);
    expect(ok(['run', '--rm', tag, 'cat', '/c.txt'])).toBe('committed\n');
    ok(['rmi', tag]);
  });

  it('errors come with dockerd texts and statuses', () => {
    const missing = uniqueName('missing');
    const rm = docker(['rm', missing]);
    expect(rm.code).toBe(1);
    expect(rm.stderr).toContain(`No such container: ${missing}`);
    const name = uniqueName('dup');
    ok(['create', '--name', name, image, 'true']);
    const dup = docker(['create', '--name', name, image, 'true']);
    expect(dup.code).not.toBe(0);
    expect(dup.stderr).toMatch(/already (exists|in use)/);
    const ipc = docker(['run', '--rm', '--ipc', 'host', image, 'true']);
    expect(ipc.code).not.toBe(0);
    expect(ipc.stderr).toContain('HostConfig.IpcMode');
    ok(['rm', name]);
  });

  describe.skipIf(compatSkipReason(DOCKER_20))('Debian docker 20.10 CLI (API 1.41)', () => {
    it('runs, lists and removes containers', () => {
      const name = uniqueName('old');
      const r = c.docker(['run', '--name', name, image, 'sh', '-c', 'echo from-20.10'], { bin: DOCKER_20 });
      expect(r.stderr).toBe('');
      expect(r.stdout).toBe('from-20.10\n');
      expect(r.code).toBe(0);
      const v = c.docker(['version', '--format', '{{.Client.APIVersion}}'], { bin: DOCKER_20 });
      expect(v.stdout.trim()).toBe('1.41');
      const ps = c.docker(['ps', '-a', '--format', '{{.Names}} {{.Status}}'], { bin: DOCKER_20 });
      expect(ps.stdout).toMatch(new RegExp(`${name} Exited \\(0\\)`));
      expect(c.docker(['logs', name], { bin: DOCKER_20 }).stdout).toBe('from-20.10\n');
      expect(c.docker(['rm', name], { bin: DOCKER_20 }).code).toBe(0);
    });

    it('exec, cp, networks and volumes by name', () => {
      const old = (args: string[], input?: string) => c.docker(args, { bin: DOCKER_20, ...(input ? { input } : {}) });
      const net = uniqueName('net20');
      const vol = uniqueName('vol20');
      expect(old(['network', 'create', net]).code).toBe(0);
      expect(old(['volume', 'create', vol]).code).toBe(0);
      const name = uniqueName('old-exec');
      const run = old(['run', '-d', '--name', name, '--network', net, '-v', `${vol}:/data`, image, 'sleep', '1000']);
      expect(run.stderr).toBe('');
      expect(old(['exec', name, 'sh', '-c', 'echo via-20.10 > /data/f; cp /data/f /tmp/f; cat /data/f']).stdout).toBe(
        'via-20.10\n',
      );
      expect(old(['inspect', '--format', '{{json .NetworkSettings.Networks}}', name]).stdout).toContain(net);
      const copied = old(['cp', `${name}:/tmp/f`, '-']);
      expect(copied.code).toBe(0);
      expect(copied.stdout).toContain('via-20.10\n');
      expect(old(['rm', '-f', name]).code).toBe(0);
      expect(old(['network', 'rm', net]).code).toBe(0);
      expect(old(['volume', 'rm', vol]).code).toBe(0);
    });
  });
});

function spawnSleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}
