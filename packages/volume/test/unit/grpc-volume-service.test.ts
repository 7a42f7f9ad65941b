import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Server } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { isInvalidArgument, isNotFound } from '@tscr/api';
import { listen } from '@tscr/api/grpc';
import { createLocalVolumeService } from '@tscr/volume/local';
import { GrpcVolumeService, addVolumeService } from '@tscr/volume/grpc';
import { makeTempDir } from '@tscr/testkit';
import { describeVolumeService } from '../conformance/volume-service.js';

async function serve() {
  const dir = await makeTempDir('volume-grpc');
  const server = new Server();
  addVolumeService(server, createLocalVolumeService({ root: join(dir, 'volumes') }));
  const address = await listen(server, `unix://${join(dir, 'x.sock')}`);
  const client = new GrpcVolumeService(address);
  return {
    service: client,
    close: async () => {
      client.close();
      server.forceShutdown();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

describeVolumeService('GrpcVolumeService over a UNIX socket', serve);

describe('GrpcVolumeService', () => {
  it('keeps NotFound and InvalidArgument, with details, across the wire', async () => {
    const fx = await serve();
    try {
      const missing = await fx.service
        .resolveMounts('tscr-test-c', [{ type: 'bind', source: '/nonexistent/tscr-test', target: '/x' }])
        .catch((e: unknown) => e);
      expect(isNotFound(missing)).toBe(true);
      expect((missing as { details: Record<string, string> }).details.container).toBe('tscr-test-c');
      const relative = await fx.service
        .resolveMounts('tscr-test-c', [{ type: 'tmpfs', source: '', target: 'x' }])
        .catch((e: unknown) => e);
      expect(isInvalidArgument(relative)).toBe(true);
    } finally {
      await fx.close();
    }
  });
});
