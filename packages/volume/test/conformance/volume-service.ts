import { mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isCancelled, isInvalidArgument, isNotFound, type MountSpec } from '@tscr/api';
import type { VolumeService } from '@tscr/volume';
import { makeTempDir } from '@tscr/testkit';
import { rejection } from './rejection.js';
import { describeVolumes } from './volumes.js';

/** What a conformance run needs: a service and a way to tear it down. */
export interface VolumeServiceFixture {
  service: VolumeService;
  close(): Promise<void>;
}

/** The contract of {@link VolumeService}, run against any implementation. */
export function describeVolumeService(name: string, setup: () => Promise<VolumeServiceFixture>): void {
  describe(`VolumeService conformance: ${name}`, () => {
    let fx: VolumeServiceFixture;
    let svc: VolumeService;
    let host: string;
    const cid = 'tscr-test-container';
    const resolve = (...mounts: MountSpec[]) => svc.resolveMounts(cid, mounts);

    beforeAll(async () => {
      fx = await setup();
      svc = fx.service;
      host = await makeTempDir('volume-src');
      await mkdir(join(host, 'data'));
      await writeFile(join(host, 'file.txt'), 'x');
      await symlink('data', join(host, 'link'));
    });
    afterAll(async () => {
      await fx?.close();
      if (host) await rm(host, { recursive: true, force: true });
    });

    it('resolves a read-write bind', async () => {
      const [m] = await resolve({ type: 'bind', source: join(host, 'data'), target: '/data' });
      expect(m).toEqual({
        destination: '/data',
        type: 'bind',
        source: join(host, 'data'),
        options: ['rbind', 'rw', 'rprivate'],
        mountType: 'bind',
        rw: true,
      });
    });

    it('resolves a read-only bind of a file, cleaning both paths', async () => {
      const [m] = await resolve({ type: 'bind', source: `${host}//file.txt`, target: '/etc//x.txt/', readOnly: true });
      expect(m).toMatchObject({ destination: '/etc/x.txt', source: join(host, 'file.txt'), rw: false });
      expect(m?.options).toEqual(['rbind', 'ro', 'rprivate']);
    });

    it('takes propagation and recursion options for binds', async () => {
      const [m] = await resolve({
        type: 'bind',
        source: join(host, 'link'),
        target: '/l',
        options: ['rshared', 'bind'],
      });
      expect(m?.options).toEqual(['bind', 'rw', 'rshared']);
      const bad = await rejection(resolve({ type: 'bind', source: host, target: '/x', options: ['exec'] }));
      expect(isInvalidArgument(bad)).toBe(true);
    });

    it('rejects a relative bind source, and a missing one as NotFound', async () => {
      const rel = await rejection(resolve({ type: 'bind', source: 'data', target: '/data' }));
      expect(isInvalidArgument(rel)).toBe(true);
      expect(rel.message).toContain('absolute');
      const missing = await rejection(resolve({ type: 'bind', source: join(host, 'nope'), target: '/data' }));
      expect(isNotFound(missing)).toBe(true);
      expect(missing.message).toContain(join(host, 'nope'));
    });

    it('rejects relative, root and duplicate targets', async () => {
      const src = join(host, 'data');
      expect(isInvalidArgument(await rejection(resolve({ type: 'bind', source: src, target: 'data' })))).toBe(true);
      expect(isInvalidArgument(await rejection(resolve({ type: 'bind', source: src, target: '/' })))).toBe(true);
      expect(isInvalidArgument(await rejection(resolve({ type: 'tmpfs', source: '', target: '//' })))).toBe(true);
      const dup = await rejection(
        resolve({ type: 'bind', source: src, target: '/d' }, { type: 'tmpfs', source: '', target: '/d/' }),
      );
      expect(isInvalidArgument(dup)).toBe(true);
      expect(dup.message).toContain('/d');
    });

    it('resolves tmpfs with Docker defaults, and options over them', async () => {
      const [plain, sized, ro] = await resolve(
        { type: 'tmpfs', source: '', target: '/run' },
        { type: 'tmpfs', source: '', target: '/tmp', options: ['size=64m', 'exec', 'mode=1777'] },
        { type: 'tmpfs', source: '', target: '/ro', readOnly: true },
      );
      expect(plain).toEqual({
        destination: '/run',
        type: 'tmpfs',
        source: 'tmpfs',
        options: ['rw', 'nosuid', 'nodev', 'noexec'],
        mountType: 'tmpfs',
        rw: true,
      });
      expect(sized?.options).toEqual(['rw', 'nosuid', 'nodev', 'exec', 'size=64m', 'mode=1777']);
      expect(ro).toMatchObject({ rw: false, options: ['ro', 'nosuid', 'nodev', 'noexec'] });
    });

    it('rejects malformed tmpfs options and a tmpfs source', async () => {
      for (const options of [['size=lots'], ['mode=999'], ['bogus'], ['rbind']]) {
        expect(isInvalidArgument(await rejection(resolve({ type: 'tmpfs', source: '', target: '/t', options })))).toBe(
          true,
        );
      }
      expect(isInvalidArgument(await rejection(resolve({ type: 'tmpfs', source: '/x', target: '/t' })))).toBe(true);
    });

    it('rejects an unknown mount type', async () => {
      const m = { type: 'nfs', source: '', target: '/n' } as unknown as MountSpec;
      expect(isInvalidArgument(await rejection(resolve(m)))).toBe(true);
    });

    it('resolves nothing to nothing', async () => {
      expect(await resolve()).toEqual([]);
    });

    describeVolumes(() => ({ svc, host, cid }));

    it('honours an aborted signal', async () => {
      const ac = new AbortController();
      ac.abort();
      expect(isCancelled(await rejection(svc.list({ signal: ac.signal })))).toBe(true);
    });
  });
}
