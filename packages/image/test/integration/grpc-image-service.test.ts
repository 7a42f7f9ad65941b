import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Server } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { isNotFound } from '@tscr/api';
import { listen } from '@tscr/api/grpc';
import { makeTempDir } from '@tscr/testkit';
import { createLocalImageService } from '../../src/local/index.js';
import { GrpcImageService, addImageService } from '../../src/grpc/index.js';
import { describeImageService } from '../conformance/image-service.js';

async function serve() {
  const root = await makeTempDir('image-root');
  const sockDir = await makeTempDir('image-sock');
  const server = new Server();
  addImageService(server, createLocalImageService({ root }));
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
}

describe.skipIf(!existsSync('/bin/busybox'))('gRPC image service (needs /bin/busybox)', () => {
  describeImageService('GrpcImageService over a UNIX socket', serve);
});

describe('gRPC image service errors', () => {
  it('NotFound is still NotFound, with its details, after crossing gRPC', async () => {
    const fx = await serve();
    try {
      const err = await fx.service.get('tscr-test-missing:latest').catch((e: unknown) => e);
      expect(isNotFound(err)).toBe(true);
      expect((err as { details: Record<string, string> }).details).toEqual({ ref: 'tscr-test-missing:latest' });
      expect((err as Error).message).toBe('no such image: tscr-test-missing:latest');
    } finally {
      await fx.teardown();
    }
  });
});
