import { rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Server } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { isAlreadyExists, isInvalidArgument, isNotFound } from '@tscr/api';
import { listen } from '@tscr/api/grpc';
import { VolumeRouter } from '@tscr/volume';
import { createLocalVolumeService } from '@tscr/volume/local';
import { GrpcVolumeService, addVolumeService } from '@tscr/volume/grpc';
import { makeTempDir } from '@tscr/testkit';
import { rejection } from '../conformance/rejection.js';
import { describeVolumeService } from '../conformance/volume-service.js';

/** A router over the local driver and a second driver served over gRPC (a plug-in). */
async function routed() {
  const dir = await makeTempDir('volume-router');
  const server = new Server();
  addVolumeService(server, createLocalVolumeService({ root: join(dir, 'plugin') }));
  const address = await listen(server, `unix://${join(dir, 'plugin.sock')}`);
  const plugin = new GrpcVolumeService(address);
  const router = new VolumeRouter({
    local: createLocalVolumeService({ root: join(dir, 'local') }),
    'tscr-test-plugin': plugin,
  });
  return {
    service: router,
    dir,
    close: async () => {
      plugin.close();
      server.forceShutdown();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

describeVolumeService('VolumeRouter over local and a gRPC plug-in', routed);

describe('VolumeRouter', () => {
  it("sends a driver's volumes to it, and mounts them from there", async () => {
    const fx = await routed();
    const svc = fx.service;
    try {
      const v = await svc.create('tscr-test-pv', { driver: 'tscr-test-plugin' });
      expect(v.driver).toBe('tscr-test-plugin');
      expect(v.mountpoint.startsWith(join(fx.dir, 'plugin'))).toBe(true);
      expect(isAlreadyExists(await rejection(svc.create('tscr-test-pv')))).toBe(true);
      const [byName, anon, bind] = await svc.resolveMounts('tscr-test-c', [
        { type: 'volume', source: 'tscr-test-pv', target: '/p' },
        { type: 'volume', source: '', target: '/a', options: ['volume-driver=tscr-test-plugin'] },
        { type: 'bind', source: fx.dir, target: '/b' },
      ]);
      expect(byName?.source).toBe(v.mountpoint);
      expect(anon?.source.startsWith(join(fx.dir, 'plugin'))).toBe(true);
      expect(bind?.source).toBe(fx.dir);
      expect((await stat(anon!.source)).isDirectory()).toBe(true);
      const listed = await svc.list({ filters: { driver: ['tscr-test-plugin'] } });
      expect(listed.map((x) => x.name).sort()).toEqual([anon!.name, 'tscr-test-pv'].sort());
      await svc.release('tscr-test-c', { removeAnonymous: true });
      expect(isNotFound(await rejection(svc.get(anon!.name!)))).toBe(true);
      await svc.remove('tscr-test-pv');
      expect(isNotFound(await rejection(svc.get('tscr-test-pv')))).toBe(true);
    } finally {
      await fx.close();
    }
  });

  it('checks targets across drivers', async () => {
    const fx = await routed();
    try {
      const dup = await rejection(
        fx.service.resolveMounts('tscr-test-c', [
          { type: 'volume', source: 'tscr-test-d', target: '/d', options: ['volume-driver=tscr-test-plugin'] },
          { type: 'tmpfs', source: '', target: '/d' },
        ]),
      );
      expect(isInvalidArgument(dup)).toBe(true);
      expect(await fx.service.list()).toEqual([]);
    } finally {
      await fx.close();
    }
  });
});
