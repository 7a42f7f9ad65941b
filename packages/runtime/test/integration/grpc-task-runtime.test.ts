import { join } from 'node:path';
import { Server } from '@grpc/grpc-js';
import { describe } from 'vitest';
import { listen } from '@tscr/api/grpc';
import { skipUnlessRoot } from '@tscr/testkit';
import { createLocalTaskRuntime } from '@tscr/runtime/local';
import { GrpcTaskRuntime, addRuntimeService } from '@tscr/runtime/grpc';
import { describeTaskRuntime } from '../conformance/task-runtime.js';

describe.skipIf(skipUnlessRoot('runc', 'conmon'))('GrpcTaskRuntime over a UNIX socket (root)', () => {
  describeTaskRuntime('grpc', async (fx) => {
    const server = new Server();
    const local = createLocalTaskRuntime({ stateDir: fx.stateDir, cgroupParent: fx.cgroupParent });
    addRuntimeService(server, local);
    const address = await listen(server, `unix://${join(fx.dir, 'runtime.sock')}`);
    const client = new GrpcTaskRuntime(address);
    return {
      runtime: client,
      close: async () => {
        client.close();
        await new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
        await local.settled();
      },
    };
  });
});
