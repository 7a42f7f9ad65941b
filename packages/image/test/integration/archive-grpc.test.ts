import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Server } from '@grpc/grpc-js';
import { describe } from 'vitest';
import { listen } from '@tscr/api/grpc';
import { makeTempDir } from '@tscr/testkit';
import { createLocalImageService } from '../../src/local/index.js';
import { GrpcImageService, addImageService } from '../../src/grpc/index.js';
import { describeImageArchive } from '../conformance/archive.js';

describe.skipIf(!existsSync('/bin/busybox'))('gRPC image archives (needs /bin/busybox)', () => {
  describeImageArchive('GrpcImageService over a UNIX socket', async () => {
    const root = await makeTempDir('image-root');
    const sockDir = await makeTempDir('image-sock');
    const server = new Server();
    addImageService(server, createLocalImageService({ root, gcGraceMs: 0 }));
    const address = await listen(server, `unix://${join(sockDir, 'x.sock')}`);
    const client = new GrpcImageService(address);
    return {
      service: client,
      root,
      teardown: async () => {
        client.close();
        server.forceShutdown();
        await rm(root, { recursive: true, force: true });
        await rm(sockDir, { recursive: true, force: true });
      },
    };
  });
});
