/**
 * The ContainerStdio conformance suite (attach with stdin, TTYs, exec) over
 * the real local layers, directly and through gRPC. Needs root.
 */
import { createReadStream, existsSync } from 'node:fs';
import { readFile, readdir, rm, rmdir } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { Server } from '@grpc/grpc-js';
import { describe } from 'vitest';
import { listen } from '@tscr/api/grpc';
import { MemoryContainerStore, createLocalContainerService } from '@tscr/container';
import { GrpcContainerService, addContainerService } from '@tscr/container/grpc';
import { createLocalImageService } from '@tscr/image';
import { createLocalNetworkService } from '@tscr/network';
import { createLocalTaskRuntime } from '@tscr/runtime';
import { createLocalVolumeService } from '@tscr/volume';
import { busyboxRootfsTar, makeTempDir, skipUnlessRoot, uniqueName } from '@tscr/testkit';
import type { ContainerHarness } from '../conformance/container-service.js';
import { describeContainerStdio } from '../conformance/stdio.js';

/** Builds the real layers under a fresh /tmp/tscr-test-… directory, with busybox imported. */
async function realStack(): Promise<ContainerHarness & { service: ReturnType<typeof createLocalContainerService> }> {
  const dir = await makeTempDir('ctr-real');
  const cgroupParent = uniqueName('cg');
  const images = createLocalImageService({ root: join(dir, 'image') });
  const image = `${uniqueName('busybox')}:test`;
  const tar = await busyboxRootfsTar(dir, join(dir, 'busybox.tar'));
  await images.importTar(createReadStream(tar), { reference: image, config: { cmd: ['sh'] } });
  const service = createLocalContainerService({
    images,
    runtime: createLocalTaskRuntime({ stateDir: join(dir, 'runtime'), cgroupParent }),
    networks: createLocalNetworkService(),
    volumes: createLocalVolumeService({ root: join(dir, 'volumes') }),
    store: new MemoryContainerStore(),
    containersDir: join(dir, 'containers'),
    logger: () => undefined,
  });
  return {
    service,
    image,
    async cleanup() {
      for (const c of await service.list({ all: true }))
        await service.remove(c.id, { force: true }).catch(() => undefined);
      service.close();
      const mounts = (await readFile('/proc/self/mountinfo', 'utf8')).split('\n').map((l) => l.split(' ')[4] ?? '');
      for (const m of mounts.filter((p) => p.startsWith(`${dir}/`)).reverse()) {
        try {
          execFileSync('umount', ['-l', m]);
        } catch {
          // already gone
        }
      }
      for (const c of ['', ...(await readdir('/sys/fs/cgroup'))]) {
        const parent = join('/sys/fs/cgroup', c, cgroupParent);
        if (existsSync(parent)) await rmdir(parent).catch(() => undefined);
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}

describe.skipIf(skipUnlessRoot('runc', 'conmon'))('real layers: stdio', () => {
  describeContainerStdio('local over real layers', realStack);

  describeContainerStdio('gRPC over real layers', async () => {
    const stack = await realStack();
    const server = new Server();
    addContainerService(server, stack.service);
    const address = await listen(server, `unix://${join(await makeTempDir('ctr-stdio-sock'), 'x.sock')}`);
    const client = new GrpcContainerService(address);
    return {
      service: client,
      image: stack.image,
      async cleanup() {
        client.close();
        server.forceShutdown();
        await rm(address.slice('unix://'.length).replace(/\/x\.sock$/, ''), { recursive: true, force: true });
        await stack.cleanup();
      },
    };
  });
});
