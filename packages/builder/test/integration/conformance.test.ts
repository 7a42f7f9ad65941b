/** The builder conformance suite against the local builder and through a real gRPC server. */
import { createReadStream, existsSync, readdirSync, rmdirSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Server } from '@grpc/grpc-js';
import { listen } from '@tscr/api/grpc';
import { createLocalImageService } from '@tscr/image/local';
import { createLocalTaskRuntime } from '@tscr/runtime/local';
import { busyboxRootfsTar, makeTempDir, skipUnlessRoot, uniqueName } from '@tscr/testkit';
import { addBuilderService, GrpcBuilderService } from '../../src/grpc/index.js';
import { createLocalBuilder } from '../../src/local/index.js';
import { describe } from 'vitest';
import { type BuilderFixture, describeBuilderService } from '../conformance/builder-service.js';

const skip = skipUnlessRoot('runc', 'conmon');

/** A local builder over a local image layer and runtime, with a busybox base image. */
async function localStack(): Promise<BuilderFixture & { dir: string }> {
  const dir = await makeTempDir('builder-conf');
  const images = createLocalImageService({ root: join(dir, 'images') });
  const cgroupParent = uniqueName('cg');
  const runtime = createLocalTaskRuntime({ stateDir: join(dir, 'runtime'), cgroupParent });
  const baseRef = `${uniqueName('base')}:1`;
  const tar = await busyboxRootfsTar(dir, join(dir, 'busybox.tar'));
  await images.importTar(createReadStream(tar), { reference: baseRef });
  return {
    dir,
    service: createLocalBuilder({ images, runtime, stateDir: join(dir, 'builder') }),
    getImage: (ref) => images.get(ref),
    baseRef,
    async close() {
      await runtime.settled(); // the cgroups of deleted tasks are removed behind the deletes
      await rm(dir, { recursive: true, force: true });
      for (const ctl of readdirSync('/sys/fs/cgroup')) {
        const p = join('/sys/fs/cgroup', ctl, cgroupParent);
        if (existsSync(p)) rmdirSync(p);
      }
    },
  };
}

describe.skipIf(skip)('the builder', () => {
  describeBuilderService('local', localStack);
  describeBuilderService('grpc', async () => {
    const local = await localStack();
    const server = new Server();
    addBuilderService(server, local.service, { spoolDir: join(local.dir, 'spool') });
    const client = new GrpcBuilderService(await listen(server, `unix://${join(local.dir, 'builder.sock')}`));
    return {
      ...local,
      service: client,
      async close() {
        client.close();
        server.forceShutdown();
        await local.close();
      },
    };
  });
});
