/**
 * Containers survive the daemon: `tscrd` runs as a child process (the built
 * packages/daemon/dist/main.cjs; scripts/setup.sh builds it), is killed with
 * SIGKILL, and restarted on the same root and exec-root. Also: one layer
 * served by `tscrd serve-layer` in its own process.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GrpcContainerService } from '@tscr/container/grpc';
import type { DaemonConfig } from '@tscr/daemon';
import { GrpcImageService } from '@tscr/image/grpc';
import { isAlive, makeTempDir, skipUnlessRoot, uniqueName } from '@tscr/testkit';
import { collect, run } from '../../../container/test/conformance/container-service.js';
import {
  cleanupHost,
  configFlags,
  importBusybox,
  startTscrd,
  testConfig,
  until,
  type Child,
} from '../fixtures/host.js';

const skip = skipUnlessRoot('runc', 'conmon');

describe.skipIf(skip)('tscrd survives kill -9', () => {
  let dir: string;
  let config: DaemonConfig;
  let daemon: Child | undefined;
  const clients: { close(): void }[] = [];
  const image = `${uniqueName('busybox')}:test`;

  const connect = (address: string) => {
    const c = new GrpcContainerService(address);
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    dir = await makeTempDir('restart');
    config = testConfig(dir);
  });

  afterAll(async () => {
    if (daemon) {
      const c = connect(daemon.address);
      for (const x of await c.list({ all: true }).catch(() => []))
        await c.remove(x.id, { force: true }).catch(() => undefined);
      await daemon.stop();
    }
    for (const c of clients) c.close();
    if (dir) await cleanupHost(dir, config.cgroupParent);
  });

  it('keeps containers running across kill -9 and SIGTERM, records exits that happen while it is down', async () => {
    daemon = await startTscrd(configFlags(config));
    const images = new GrpcImageService(daemon.address);
    clients.push(images);
    await importBusybox(images, dir, image);
    let c = connect(daemon.address);

    const loop = await c.create({
      name: uniqueName('loop'),
      config: { image, cmd: ['sh', '-c', 'i=0; while true; do echo line $i; i=$((i+1)); sleep 0.1; done'] },
    });
    const short = await c.create({
      name: uniqueName('short'),
      config: { image, cmd: ['sh', '-c', 'sleep 2; exit 7'] },
    });
    await c.start(loop.id);
    await c.start(short.id);
    const pid = (await c.inspect(loop.id)).state.pid;
    await until(async () => (await collect(c.logs(loop.id))).includes('line 3'));

    await daemon.kill9();
    expect(isAlive(pid)).toBe(true);
    await new Promise((r) => setTimeout(r, 3000));

    daemon = await startTscrd(configFlags(config));
    c = connect(daemon.address);
    const info = await c.inspect(loop.id);
    expect(info.state).toMatchObject({ status: 'running', pid });
    expect((await c.list()).map((x) => x.id)).toContain(loop.id);
    const logs = await collect(c.logs(loop.id));
    expect(logs).toMatch(/^line 0\nline 1\nline 2\n/);
    expect(await c.inspect(short.id)).toMatchObject({ state: { status: 'exited', exitCode: 7 } });

    // Removed containers' files go behind the call; a graceful stop waits for them (20000 files in the upper layer).
    const many = await c.create({
      name: uniqueName('many'),
      config: { image, cmd: ['sh', '-c', 'mkdir /m && cd /m && seq 20000 | xargs touch'] },
    });
    await c.start(many.id);
    expect((await c.wait(many.id)).exitCode).toBe(0);
    await c.remove(many.id);
    await daemon.stop();
    expect(readdirSync(join(config.root, 'image', 'trash'))).toEqual([]);
    expect(readdirSync(join(config.root, 'containers', '.trash'))).toEqual([]);
    expect(isAlive(pid)).toBe(true);
    expect(existsSync(join(config.execRoot, 'tscrd.pid'))).toBe(false);
    daemon = await startTscrd(configFlags(config));
    c = connect(daemon.address);
    expect((await c.inspect(loop.id)).state).toMatchObject({ status: 'running', pid });

    await c.stop(loop.id, { timeout: 1 });
    const stopped = await c.inspect(loop.id);
    expect(stopped.state.status).toBe('exited');
    expect([137, 143]).toContain(stopped.state.exitCode);
    expect(isAlive(pid)).toBe(false);
  });
});

describe.skipIf(skip)('tscrd with a remote image layer', () => {
  let dir: string;
  let config: DaemonConfig;
  let layer: Child | undefined;
  let daemon: Child | undefined;
  const clients: { close(): void }[] = [];

  beforeAll(async () => {
    dir = await makeTempDir('remote');
    const layerSocket = `unix://${dir}/images.sock`;
    config = testConfig(dir, { images: layerSocket });
    layer = await startTscrd(['serve-layer', 'images', '--listen', layerSocket, '--root', `${dir}/layer-root`]);
    daemon = await startTscrd(configFlags(config));
  });

  afterAll(async () => {
    for (const c of clients) c.close();
    await daemon?.stop();
    await layer?.stop();
    if (dir) await cleanupHost(dir, config.cgroupParent);
  });

  it('runs a container whose image lives in another process', async () => {
    const images = new GrpcImageService(daemon!.address);
    const containers = new GrpcContainerService(daemon!.address);
    clients.push(images, containers);
    const image = `${uniqueName('busybox')}:test`;
    await importBusybox(images, dir, image);
    const direct = new GrpcImageService(layer!.address);
    clients.push(direct);
    expect((await direct.get(image)).repoTags.join()).toContain(image.split(':')[0]);
    const r = await run(containers, {
      config: { image, cmd: ['echo', 'hello from afar'] },
      hostConfig: { autoRemove: true },
    });
    expect(r.status.exitCode).toBe(0);
    expect(r.output).toBe('hello from afar\n');
  });
});
