import { join } from 'node:path';
import { Server } from '@grpc/grpc-js';
import { describe } from 'vitest';
import { listen } from '@tscr/api/grpc';
import { skipUnlessRoot } from '@tscr/testkit';
import { createLocalTaskRuntime } from '@tscr/runtime/local';
import { GrpcTaskRuntime, addRuntimeService } from '@tscr/runtime/grpc';
import { describeTaskStdio } from '../conformance/stdio.js';

describe.skipIf(skipUnlessRoot('runc', 'conmon'))('GrpcTaskRuntime exec/attach over a UNIX socket (root)', () => {
  describeTaskStdio('grpc', async (fx) => {
    const server = new Server();
    addRuntimeService(server, createLocalTaskRuntime({ stateDir: fx.stateDir, cgroupParent: fx.cgroupParent }));
    const address = await listen(server, `unix://${join(fx.dir, 'runtime.sock')}`);
    const client = new GrpcTaskRuntime(address);
    return {
      runtime: client,
      close: async () => {
        client.close();
        await new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
      },
    };
  });
});
