import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Server } from '@grpc/grpc-js';
import { notFound, unimplemented } from '@tscr/api';
import { listen } from '@tscr/api/grpc';
import { addTransferService, GrpcTransferService } from '@tscr/daemon/grpc';
import type { Reference } from '@tscr/registry-client';
import type { VolumeService } from '@tscr/volume';
import { makeTempDir } from '@tscr/testkit';
import { LocalTransferService, type TransferImageStore } from '../../src/transfer/local-transfer.js';
import { describeTransferReceiver, type ReceiverFixture } from '../conformance/transfer-receiver.js';

/** An in-memory image store: keeps a blob only when its (verified) stream ends cleanly. */
function fakeStore(
  stored: Map<string, Buffer>,
  tagged: Map<string, string>,
  writing: { count: number },
): TransferImageStore {
  return {
    async hasBlob(digest) {
      return stored.has(digest);
    },
    async writeBlob(desc, data) {
      writing.count++;
      try {
        const parts: Uint8Array[] = [];
        for await (const c of data) parts.push(c);
        stored.set(desc.digest, Buffer.concat(parts));
      } finally {
        writing.count--;
      }
    },
    async tag(ref: Reference, desc) {
      tagged.set(ref.normalized, desc.digest);
    },
    async resolve() {
      throw unimplemented('resolve');
    },
    async *readBlob(desc) {
      const b = stored.get(desc.digest);
      if (!b) throw notFound(`blob ${desc.digest}`);
      yield b;
    },
    async get() {
      throw unimplemented('get');
    },
  };
}

function local(): ReceiverFixture {
  const stored = new Map<string, Buffer>();
  const tagged = new Map<string, string>();
  const writing = { count: 0 };
  const service = new LocalTransferService({
    images: fakeStore(stored, tagged, writing),
    volumes: {} as VolumeService,
    connect: () => {
      throw unimplemented('connect');
    },
  });
  return { service, stored, tagged, writing, cleanup: async () => undefined };
}

describeTransferReceiver('local', async () => local());

describeTransferReceiver('gRPC client', async () => {
  const inner = local();
  const dir = await makeTempDir('transfer');
  const server = new Server();
  addTransferService(server, inner.service);
  const client = new GrpcTransferService(await listen(server, `unix://${join(dir, 'x.sock')}`));
  return {
    ...inner,
    service: client,
    async cleanup() {
      client.close();
      server.forceShutdown();
      await rm(dir, { recursive: true, force: true });
    },
  };
});
