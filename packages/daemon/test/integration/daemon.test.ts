/**
 * The whole daemon in process, over its gRPC API, with runc and conmon:
 * the ContainerService conformance suite against real containers, events,
 * info, and bad input that must leave nothing half-made.
 */
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GrpcContainerService } from '@tscr/container/grpc';
import type { DaemonConfig } from '@tscr/daemon';
import { composeDaemon, type ComposedDaemon } from '@tscr/daemon/local';
import { GrpcSystemService } from '@tscr/daemon/grpc';
import { GrpcImageService } from '@tscr/image/grpc';
import { makeTempDir, skipUnlessRoot, uniqueName } from '@tscr/testkit';
import type { TscrEvent } from '@tscr/api';
import { describeContainerService, rejection, run } from '../../../container/test/conformance/container-service.js';
import { cleanupHost, importBusybox, mountsUnder, testConfig } from '../fixtures/host.js';

const skip = skipUnlessRoot('runc', 'conmon');

describe.skipIf(skip)('tscrd in process (runc + conmon)', () => {
  let dir: string;
  let config: DaemonConfig;
  let daemon: ComposedDaemon;
  let images: GrpcImageService;
  let containers: GrpcContainerService;
  let system: GrpcSystemService;
  const image = `${uniqueName('busybox')}:test`;

  beforeAll(async () => {
    dir = await makeTempDir('daemon');
    config = testConfig(dir);
    daemon = await composeDaemon(config, { logger: () => undefined });
    images = new GrpcImageService(daemon.address);
    containers = new GrpcContainerService(daemon.address);
    system = new GrpcSystemService(daemon.address);
    await importBusybox(images, dir, image);
  });

  afterAll(async () => {
    for (const c of (await containers?.list({ all: true })) ?? [])
      await containers.remove(c.id, { force: true }).catch(() => undefined);
    images?.close();
    containers?.close();
    system?.close();
    await daemon?.close();
    if (dir) await cleanupHost(dir, config.cgroupParent);
  });

  describeContainerService('tscrd over gRPC with runc', async () => ({
    service: new GrpcContainerService(daemon.address),
    image,
    cleanup: async () => undefined,
  }));

  it('streams container events and reports info and version', async () => {
    const seen: TscrEvent[] = [];
    const ac = new AbortController();
    let subscribed!: () => void;
    const ready = new Promise<void>((r) => (subscribed = r));
    const reading = (async () => {
      for await (const e of system.events({ types: ['container'], signal: ac.signal, onSubscribed: subscribed })) {
        seen.push(e);
        if (e.action === 'destroy') return;
      }
    })();
    await ready;
    const r = await run(containers, {
      config: { image, cmd: ['sh', '-c', 'exit 4'] },
      hostConfig: { autoRemove: true },
    });
    await reading;
    ac.abort();
    expect(seen.filter((e) => e.id === r.id).map((e) => e.action)).toEqual(['create', 'start', 'die', 'destroy']);
    expect(seen.find((e) => e.action === 'die')?.attributes).toMatchObject({ exitCode: '4', image });

    const info = await system.info();
    expect(info).toMatchObject({
      rootDir: config.root,
      defaultRuntime: 'runc',
      stateDatabase: join(config.root, 'tscr.db'),
    });
    expect(info.images).toBeGreaterThanOrEqual(1);
    expect(info.layers.map((l) => l.endpoint)).toEqual(['local', 'local', 'local', 'local', 'local']);
    expect(['1', '2']).toContain(info.cgroupVersion);
    const version = await system.version();
    expect(version.runtimeVersion).toMatch(/runc/);
    expect(version.monitorVersion).toMatch(/conmon/);
  });

  it('rejects bad input with the right codes and leaves nothing half-made', async () => {
    const containersDir = join(config.root, 'containers');
    const before = {
      mounts: await mountsUnder(dir),
      dirs: await readdir(containersDir),
      rows: (await containers.list({ all: true })).length,
    };

    const unknown = await rejection(containers.create({ config: { image: 'tscr-test-none:latest', cmd: ['echo'] } }));
    expect(unknown.code).toBe('NotFound');
    const malformed = await rejection(containers.create({ config: { image: 'UPPER/Case::bad', cmd: ['echo'] } }));
    expect(malformed.code).toBe('InvalidArgument');
    const name = uniqueName('ctr');
    const { id } = await containers.create({ name, config: { image, cmd: ['sleep', '1000'] } });
    const taken = await rejection(containers.create({ name, config: { image, cmd: ['echo'] } }));
    expect(taken.code).toBe('AlreadyExists');
    await containers.start(id);
    expect((await rejection(containers.remove(id))).code).toBe('FailedPrecondition');
    await containers.remove(id, { force: true });

    const missing = await containers.create({ config: { image, cmd: ['tscr-test-no-such-command'] } });
    const failed = await rejection(containers.start(missing.id));
    expect(failed.code).toBe('NotFound');
    expect(failed.details.reason).toBe('ExecutableNotFound');
    const info = await containers.inspect(missing.id);
    expect(info.state).toMatchObject({ status: 'created', exitCode: 127 });
    expect(await mountsUnder(dir)).toEqual(before.mounts);
    await containers.remove(missing.id);

    expect(await mountsUnder(dir)).toEqual(before.mounts);
    expect(await readdir(containersDir)).toEqual(before.dirs);
    expect((await containers.list({ all: true })).length).toBe(before.rows);
    expect(existsSync(join(containersDir, id))).toBe(false);
  });
});
