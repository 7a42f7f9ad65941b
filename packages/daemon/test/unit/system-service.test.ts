import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Server } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { listen } from '@tscr/api/grpc';
import type { ContainerSummary, Image } from '@tscr/api';
import { EventBus, LocalSystemService, cgroupVersion } from '@tscr/daemon/local';
import { GrpcSystemService, addSystemService } from '@tscr/daemon/grpc';
import { makeTempDir } from '@tscr/testkit';
import { describeSystemService } from '../conformance/system-service.js';

function localSystem() {
  const bus = new EventBus();
  const row = (state: string) => ({ state }) as ContainerSummary;
  const service = new LocalSystemService({
    containers: { list: async () => [row('running'), row('exited'), row('created')] },
    images: { list: async () => [{} as Image, {} as Image] },
    events: bus,
    rootDir: '/var/lib/tscr-test',
    stateDatabase: '/var/lib/tscr-test/tscr.db',
    defaultRuntime: 'runc',
    runtimes: ['runc'],
    layers: [{ layer: 'images', endpoint: 'unix:///tmp/tscr-test-images.sock' }],
    runtimeVersion: async () => 'runc version test',
    monitorVersion: async () => 'conmon version test',
  });
  return { service, bus };
}

describeSystemService('local', async () => ({ ...localSystem(), cleanup: async () => undefined }));

describeSystemService('gRPC client', async () => {
  const { service, bus } = localSystem();
  const dir = await makeTempDir('system');
  const server = new Server();
  addSystemService(server, service);
  const client = new GrpcSystemService(await listen(server, `unix://${join(dir, 'x.sock')}`));
  return {
    service: client,
    bus,
    async cleanup() {
      client.close();
      server.forceShutdown();
      await rm(dir, { recursive: true, force: true });
    },
  };
});

describe('GrpcSystemService', () => {
  it('says Unavailable, with the address, when no daemon listens', async () => {
    const client = new GrpcSystemService('unix:///tmp/tscr-test-nobody-here.sock');
    await expect(client.ping()).rejects.toMatchObject({
      code: 'Unavailable',
      details: { address: 'unix:///tmp/tscr-test-nobody-here.sock' },
    });
    client.close();
  });
});

describe('cgroupVersion', () => {
  it('reads the host layout', () => {
    expect(['1', '2']).toContain(cgroupVersion());
    expect(cgroupVersion('/nonexistent')).toBe('1');
  });
});
