import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Server } from '@grpc/grpc-js';
import { listen } from '@tscr/api/grpc';
import { GrpcContainerService, addContainerService } from '@tscr/container/grpc';
import { makeTempDir } from '@tscr/testkit';
import { describeContainerService } from '../conformance/container-service.js';
import { fakeStack } from '../fixtures/harness.js';

describeContainerService('gRPC client over local fakes', async () => {
  const stack = await fakeStack();
  const dir = await makeTempDir('ctr-grpc');
  const server = new Server();
  addContainerService(server, stack.service);
  const address = await listen(server, `unix://${join(dir, 'x.sock')}`);
  const client = new GrpcContainerService(address);
  return {
    service: client,
    image: 'busybox:test',
    async cleanup() {
      client.close();
      server.forceShutdown();
      await stack.cleanup();
      await rm(dir, { recursive: true, force: true });
    },
  };
});
