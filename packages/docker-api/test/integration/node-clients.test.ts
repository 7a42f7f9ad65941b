/**
 * dockerode and testcontainers 11 (Ryuk off) against tscrd's Docker Engine
 * API: real containers, no Docker daemon. Root only.
 */
import { PassThrough } from 'node:stream';
import Docker from 'dockerode';
import { GenericContainer } from 'testcontainers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uniqueName } from '@tscr/testkit';
import { CompatDaemon, compatSkipReason } from '../fixtures/compat.js';

const skip = compatSkipReason();

/** Splits a stdcopy stream with dockerode's demuxer into stdout and stderr text. */
async function demux(docker: Docker, stream: NodeJS.ReadableStream): Promise<{ stdout: string; stderr: string }> {
  const out = new PassThrough();
  const err = new PassThrough();
  let stdout = '';
  let stderr = '';
  out.on('data', (b: Buffer) => {
    stdout += b.toString();
  });
  err.on('data', (b: Buffer) => {
    stderr += b.toString();
  });
  docker.modem.demuxStream(stream, out, err);
  await new Promise((r) => stream.on('end', r));
  return { stdout, stderr };
}

describe.skipIf(skip)('dockerode and testcontainers against tscrd', () => {
  let c: CompatDaemon;
  let docker: Docker;
  const image = `${uniqueName('nimg')}:test`;

  beforeAll(async () => {
    c = await CompatDaemon.create('node');
    await c.start();
    await c.importBusybox(image);
    docker = new Docker({ socketPath: c.dockerHost.slice('unix://'.length) });
  });

  afterAll(async () => {
    await c?.cleanup();
  });

  it('dockerode: ping, version, info', async () => {
    expect(String(await docker.ping())).toBe('OK');
    const v = await docker.version();
    expect(v.ApiVersion).toBe('1.51');
    const info = await docker.info();
    expect(info.OSType).toBe('linux');
    expect(info.Images).toBeGreaterThanOrEqual(1);
  });

  it('dockerode: create, attach, start, wait, logs, remove', async () => {
    const name = uniqueName('dode');
    const ctr = await docker.createContainer({
      name,
      Image: image,
      Cmd: ['sh', '-c', 'echo to-out; echo to-err >&2; exit 5'],
      Labels: { 'tscr-test': 'dockerode' },
    });
    const stream = await ctr.attach({ stream: true, stdout: true, stderr: true });
    const output = demux(docker, stream);
    await ctr.start();
    const result = await ctr.wait();
    expect(result.StatusCode).toBe(5);
    expect(await output).toEqual({ stdout: 'to-out\n', stderr: 'to-err\n' });
    const logs = (await ctr.logs({ stdout: true, stderr: false })) as Buffer;
    expect(logs.subarray(8).toString()).toBe('to-out\n');
    const listed = await docker.listContainers({ all: true, filters: { label: ['tscr-test=dockerode'] } });
    expect(listed.map((l) => l.Names[0])).toEqual([`/${name}`]);
    await ctr.remove();
    await expect(docker.getContainer(name).inspect()).rejects.toMatchObject({ statusCode: 404 });
  });

  it('dockerode: attach with stdin before start; only what follows the upgrade reaches stdin', async () => {
    const ctr = await docker.createContainer({
      Image: image,
      Cmd: ['cat'],
      OpenStdin: true,
      StdinOnce: true,
      AttachStdin: true,
      AttachStdout: true,
      AttachStderr: true,
    });
    // dockerode also sends these options as the request's JSON body, which must not reach the container.
    const stream = (await ctr.attach({
      stream: true,
      stdin: true,
      stdout: true,
      stderr: true,
      hijack: true,
    })) as NodeJS.ReadWriteStream;
    const output = demux(docker, stream);
    await ctr.start();
    stream.write('hello-attach\n');
    stream.end();
    expect(await output).toEqual({ stdout: 'hello-attach\n', stderr: '' });
    expect((await ctr.wait()).StatusCode).toBe(0);
    await ctr.remove();
  });

  it('dockerode: exec with its exit code', async () => {
    const ctr = await docker.createContainer({ Image: image, Cmd: ['sleep', '1000'] });
    await ctr.start();
    const exec = await ctr.exec({ Cmd: ['sh', '-c', 'echo in-exec; exit 2'], AttachStdout: true, AttachStderr: true });
    const stream = await exec.start({ hijack: true, stdin: false });
    expect((await demux(docker, stream)).stdout).toBe('in-exec\n');
    const info = await exec.inspect();
    expect(info.ExitCode).toBe(2);
    expect(info.Running).toBe(false);
    await ctr.remove({ force: true });
  });

  it('dockerode: volumes and malformed requests', async () => {
    const name = uniqueName('dvol');
    await docker.createVolume({ Name: name, Labels: { 'tscr-test': 'yes' } });
    expect((await docker.getVolume(name).inspect()).Name).toBe(name);
    const { Volumes } = await docker.listVolumes({ filters: { label: ['tscr-test=yes'] } });
    expect(Volumes.map((v) => v.Name)).toContain(name);
    await docker.getVolume(name).remove();
    await expect(docker.getVolume(name).inspect()).rejects.toMatchObject({ statusCode: 404 });
    await expect(docker.createContainer({ Image: image, HostConfig: { Links: ['a:b'] } })).rejects.toMatchObject({
      statusCode: 400,
      json: { message: expect.stringContaining('HostConfig.Links') },
    });
  });

  it('dockerode: networks by name, and events replayed with since/until', async () => {
    const since = Math.floor(Date.now() / 1000) - 1;
    const net = uniqueName('dnet');
    await docker.createNetwork({ Name: net, Labels: { 'tscr-test': 'yes' } });
    const nets = await docker.listNetworks({ filters: { name: [net] } });
    expect(nets.map((n) => n.Name)).toEqual([net]);
    const ctr = await docker.createContainer({
      Image: image,
      Cmd: ['sleep', '1000'],
      HostConfig: { NetworkMode: net },
    });
    await ctr.start();
    const info = await ctr.inspect();
    expect(Object.keys(info.NetworkSettings.Networks)).toEqual([net]);
    expect(info.NetworkSettings.Networks[net]?.IPAddress).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    await ctr.remove({ force: true });
    await docker.getNetwork(net).remove();
    const until = Math.floor(Date.now() / 1000) + 1;
    const stream = (await docker.getEvents({
      since,
      until,
      filters: { type: ['container'] },
    })) as NodeJS.ReadableStream;
    let text = '';
    stream.on('data', (b: Buffer) => {
      text += b.toString();
    });
    await new Promise((r) => stream.on('end', r));
    const actions = text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
      .filter((e) => e.Actor.ID === ctr.id)
      .map((e) => e.Action);
    expect(actions).toEqual(expect.arrayContaining(['create', 'start', 'destroy']));
  });

  it('a client that goes away mid-stream leaves no subscriber behind', async () => {
    const before = (await docker.info()).NEventsListener;
    const stream = (await docker.getEvents()) as NodeJS.ReadableStream & { destroy(): void };
    expect((await docker.info()).NEventsListener).toBe(before + 1);
    stream.destroy();
    for (let i = 0; i < 50 && (await docker.info()).NEventsListener !== before; i++)
      await new Promise((r) => setTimeout(r, 100));
    expect((await docker.info()).NEventsListener).toBe(before);
  });

  it('testcontainers: starts a container, execs in it, copies a file in, reads its logs', async () => {
    const env = { DOCKER_HOST: c.dockerHost, TESTCONTAINERS_RYUK_DISABLED: 'true' };
    const saved = { ...process.env };
    Object.assign(process.env, env);
    try {
      const started = await new GenericContainer(image)
        .withCommand(['sh', '-c', 'echo ready; sleep 1000'])
        .withCopyContentToContainer([{ content: 'copied in\n', target: '/tmp/copied.txt' }])
        .withLabels({ 'tscr-test': 'testcontainers' })
        .start();
      try {
        const r = await started.exec(['cat', '/tmp/copied.txt']);
        expect(r.exitCode).toBe(0);
        expect(r.output).toBe('copied in\n');
        const logs = await started.logs();
        const text = await new Promise<string>((resolve) => {
          let s = '';
          logs.on('data', (b: Buffer | string) => {
            s += b.toString();
            if (s.includes('ready')) resolve(s);
          });
        });
        expect(text).toContain('ready');
        // The same container through the native CLI.
        expect(c.tscr(['ps', '--format', '{{.ID}}']).stdout).toContain(started.getId().slice(0, 12));
      } finally {
        await started.stop({ timeout: 1 });
      }
    } finally {
      process.env = saved;
    }
  });
});
