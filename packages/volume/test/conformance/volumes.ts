import { chmod, mkdir, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { isAlreadyExists, isFailedPrecondition, isInvalidArgument, isNotFound } from '@tscr/api';
import type { VolumeService } from '@tscr/volume';
import { rejection } from './rejection.js';

/** What the named-volume part of the conformance suite needs. */
export interface VolumesContext {
  svc: VolumeService;
  /** A scratch host directory. */
  host: string;
  /** Container ID used for mounts. */
  cid: string;
}

const ANON = 'com.docker.volume.anonymous';

/** Named and anonymous volumes: the part of the contract the local driver and any plug-in driver share. */
export function describeVolumes(ctx: () => VolumesContext): void {
  const names = async (svc: VolumeService) => (await svc.list()).map((v) => v.name).sort();

  it('creates, gets, lists and removes a named volume', async () => {
    const { svc } = ctx();
    const v = await svc.create('tscr-test-v1', { labels: { a: 'b' } });
    expect(v).toMatchObject({ name: 'tscr-test-v1', driver: 'local', labels: { a: 'b' }, options: {}, usedBy: [] });
    expect((await stat(v.mountpoint)).isDirectory()).toBe(true);
    expect(Date.parse(v.createdAt)).not.toBeNaN();
    expect(await svc.get('tscr-test-v1')).toEqual(v);
    expect(await names(svc)).toContain('tscr-test-v1');
    expect(isAlreadyExists(await rejection(svc.create('tscr-test-v1')))).toBe(true);
    await svc.remove('tscr-test-v1');
    expect(isNotFound(await rejection(svc.get('tscr-test-v1')))).toBe(true);
    const gone = await rejection(svc.remove('tscr-test-v1', { force: true }));
    expect(isNotFound(gone)).toBe(true);
    expect(gone.details.volume).toBe('tscr-test-v1');
  });

  it('rejects bad names, unknown drivers and unknown options, creating nothing', async () => {
    const { svc } = ctx();
    const before = await names(svc);
    for (const bad of ['bad/name', '..', 'a', '../x', '.hidden']) {
      expect(isInvalidArgument(await rejection(svc.create(bad)))).toBe(true);
    }
    const plugin = await rejection(svc.create('tscr-test-p', { driver: 'tscr-test-nodriver' }));
    expect(isNotFound(plugin)).toBe(true);
    expect(plugin.message).toContain('plugin "tscr-test-nodriver" not found');
    const bad: Record<string, string>[] = [
      { bogus: '1' },
      { type: 'nfs' },
      { type: 'none', device: 'rel', o: 'bind' },
      { o: 'size=1m' },
    ];
    for (const options of bad) {
      expect(isInvalidArgument(await rejection(svc.create('tscr-test-o', { options })))).toBe(true);
    }
    expect(await names(svc)).toEqual(before);
  });

  it('mounts a named volume, creating it, and tracks who uses it', async () => {
    const { svc, cid } = ctx();
    const [m] = await svc.resolveMounts(cid, [{ type: 'volume', source: 'tscr-test-used', target: '/v' }]);
    const v = await svc.get('tscr-test-used');
    expect(m).toEqual({
      destination: '/v',
      type: 'bind',
      source: v.mountpoint,
      options: ['rbind', 'rw', 'rprivate'],
      mountType: 'volume',
      name: 'tscr-test-used',
      rw: true,
    });
    expect(v.usedBy).toEqual([cid]);
    const inUse = await rejection(svc.remove('tscr-test-used'));
    expect(isFailedPrecondition(inUse)).toBe(true);
    expect(inUse.message).toContain(`volume is in use - [${cid}]`);
    expect((await svc.list({ filters: { dangling: false } })).map((x) => x.name)).toContain('tscr-test-used');
    expect((await svc.list({ filters: { dangling: true } })).map((x) => x.name)).not.toContain('tscr-test-used');
    await svc.release(cid);
    expect((await svc.get('tscr-test-used')).usedBy).toEqual([]);
    await svc.remove('tscr-test-used');
  });

  it('mounts read-only with a propagation mode', async () => {
    const { svc, cid } = ctx();
    const [m] = await svc.resolveMounts(cid, [
      { type: 'volume', source: 'tscr-test-ro', target: '/v', readOnly: true, options: ['rshared'] },
    ]);
    expect(m).toMatchObject({ rw: false, options: ['rbind', 'ro', 'rshared'] });
    await svc.remove('tscr-test-ro', { force: true });
    await svc.release(cid);
  });

  it('names anonymous volumes, and release removes them on request', async () => {
    const { svc } = ctx();
    const c1 = 'tscr-test-anon-1';
    const c2 = 'tscr-test-anon-2';
    const [a] = await svc.resolveMounts(c1, [{ type: 'volume', source: '', target: '/a' }]);
    const [b] = await svc.resolveMounts(c2, [{ type: 'volume', source: '', target: '/a' }]);
    expect(a?.name).toMatch(/^[0-9a-f]{64}$/);
    expect(b?.name).not.toBe(a?.name);
    expect((await svc.get(a!.name!)).labels).toEqual({ [ANON]: '' });
    // The same name again is the same volume.
    const [again] = await svc.resolveMounts(c1, [{ type: 'volume', source: a!.name!, target: '/a' }]);
    expect(again?.source).toBe(a?.source);
    await svc.release(c1, { removeAnonymous: true });
    expect(isNotFound(await rejection(svc.get(a!.name!)))).toBe(true);
    await svc.release(c2);
    expect((await svc.get(b!.name!)).usedBy).toEqual([]);
    await svc.remove(b!.name!);
  });

  it('prunes unused anonymous volumes, and named ones with all', async () => {
    const { svc, cid } = ctx();
    await svc.create('tscr-test-prune-named', { labels: { p: '1' } });
    await svc.create('tscr-test-prune-kept');
    const [anon] = await svc.resolveMounts('tscr-test-prune-c', [{ type: 'volume', source: '', target: '/p' }]);
    await svc.resolveMounts(cid, [{ type: 'volume', source: 'tscr-test-prune-kept', target: '/k' }]);
    await svc.release('tscr-test-prune-c');
    const first = await svc.prune();
    expect(first.volumesDeleted).toEqual([anon!.name]);
    const second = await svc.prune({ all: true, label: ['p=1'] });
    expect(second.volumesDeleted).toEqual(['tscr-test-prune-named']);
    const third = await svc.prune({ all: true });
    expect(third.volumesDeleted).not.toContain('tscr-test-prune-kept');
    await svc.release(cid);
    await svc.remove('tscr-test-prune-kept');
  });

  it('filters lists by label and name', async () => {
    const { svc } = ctx();
    await svc.create('tscr-test-f1', { labels: { tier: 'db', x: '' } });
    await svc.create('tscr-test-f2', { labels: { tier: 'web' } });
    const by = async (filters: Parameters<VolumeService['list']>[0]) =>
      (await svc.list(filters)).map((v) => v.name).sort();
    expect(await by({ filters: { label: ['tier=db'] } })).toEqual(['tscr-test-f1']);
    expect(await by({ filters: { label: ['tier'] } })).toEqual(['tscr-test-f1', 'tscr-test-f2']);
    expect(await by({ filters: { label: ['tier', 'x'] } })).toEqual(['tscr-test-f1']);
    expect(await by({ filters: { name: ['f2'] } })).toEqual(['tscr-test-f2']);
    await svc.remove('tscr-test-f1');
    await svc.remove('tscr-test-f2');
  });

  it('fills a new volume from the image (copy-up), once, and not with nocopy', async () => {
    const { svc, host, cid } = ctx();
    const layer = join(host, 'layer');
    await mkdir(join(layer, 'srv', 'sub'), { recursive: true, mode: 0o750 });
    await chmod(join(layer, 'srv'), 0o750);
    await writeFile(join(layer, 'srv', 'sub', 'f.txt'), 'from image', { mode: 0o640 });
    const [m] = await svc.resolveMounts(cid, [{ type: 'volume', source: 'tscr-test-cu', target: '/srv' }], {
      imageLayers: [layer],
    });
    expect(await readFile(join(m!.source, 'sub', 'f.txt'), 'utf8')).toBe('from image');
    expect((await stat(join(m!.source, 'sub', 'f.txt'))).mode & 0o777).toBe(0o640);
    expect((await stat(m!.source)).mode & 0o777).toBe(0o750);
    await writeFile(join(m!.source, 'sub', 'f.txt'), 'changed');
    await svc.resolveMounts(cid, [{ type: 'volume', source: 'tscr-test-cu', target: '/srv' }], {
      imageLayers: [layer],
    });
    expect(await readFile(join(m!.source, 'sub', 'f.txt'), 'utf8')).toBe('changed');
    const [n] = await svc.resolveMounts(
      'tscr-test-nocopy',
      [{ type: 'volume', source: 'tscr-test-nocopy', target: '/srv', options: ['volume-nocopy'] }],
      { imageLayers: [layer] },
    );
    expect(await readdir(n!.source)).toEqual([]);
    await svc.release(cid);
    await svc.release('tscr-test-nocopy');
    await svc.remove('tscr-test-cu');
    await svc.remove('tscr-test-nocopy');
  });

  it('refuses a file bound over an image directory, creating nothing', async () => {
    const { svc, host, cid } = ctx();
    const layer = join(host, 'layer2');
    await mkdir(join(layer, 'etc'), { recursive: true });
    const before = await names(svc);
    const err = await rejection(
      svc.resolveMounts(
        cid,
        [
          { type: 'volume', source: 'tscr-test-never', target: '/v' },
          { type: 'bind', source: join(host, 'file.txt'), target: '/etc' },
        ],
        { imageLayers: [layer] },
      ),
    );
    expect(isInvalidArgument(err)).toBe(true);
    expect(await names(svc)).toEqual(before);
  });

  it('creates a missing -v bind source, but not a --mount one', async () => {
    const { svc, host, cid } = ctx();
    const src = join(host, 'made', 'here');
    const [m] = await svc.resolveMounts(cid, [
      { type: 'bind', source: src, target: '/m', options: ['create-host-path'] },
    ]);
    expect(m).toMatchObject({ source: src, options: ['rbind', 'rw', 'rprivate'] });
    expect((await stat(src)).isDirectory()).toBe(true);
    const missing = join(host, 'not-made');
    const err = await rejection(svc.resolveMounts(cid, [{ type: 'bind', source: missing, target: '/m' }]));
    expect(isNotFound(err)).toBe(true);
    expect(err.message).toContain('bind source path does not exist');
    await expect(stat(missing)).rejects.toThrow();
  });

  it('rejects a volume mount with a bad name or unknown driver, creating nothing', async () => {
    const { svc, cid } = ctx();
    const before = await names(svc);
    for (const source of ['a/b', '..']) {
      const err = await rejection(svc.resolveMounts(cid, [{ type: 'volume', source, target: '/v' }]));
      expect(isInvalidArgument(err)).toBe(true);
    }
    const plugin = await rejection(
      svc.resolveMounts(cid, [
        { type: 'volume', source: 'tscr-test-x', target: '/v', options: ['volume-driver=nope'] },
      ]),
    );
    expect(isNotFound(plugin)).toBe(true);
    const opt = await rejection(
      svc.resolveMounts(cid, [
        { type: 'volume', source: 'tscr-test-x', target: '/v', options: ['volume-opt=bogus=1'] },
      ]),
    );
    expect(isInvalidArgument(opt)).toBe(true);
    expect(await names(svc)).toEqual(before);
  });

  it('mounts tmpfs and bind volumes made with driver options', async () => {
    const { svc, host, cid } = ctx();
    await svc.create('tscr-test-tmpfs', { options: { type: 'tmpfs', device: 'tmpfs', o: 'size=1m,mode=0700' } });
    await svc.create('tscr-test-dev', { options: { type: 'none', o: 'bind', device: join(host, 'data') } });
    expect((await svc.get('tscr-test-tmpfs')).options).toEqual({
      type: 'tmpfs',
      device: 'tmpfs',
      o: 'size=1m,mode=0700',
    });
    const [t, d] = await svc.resolveMounts(cid, [
      { type: 'volume', source: 'tscr-test-tmpfs', target: '/t' },
      { type: 'volume', source: 'tscr-test-dev', target: '/d', readOnly: true },
    ]);
    expect(t).toMatchObject({ type: 'tmpfs', source: 'tmpfs', mountType: 'volume', name: 'tscr-test-tmpfs', rw: true });
    expect(t?.options).toContain('size=1m');
    expect(d).toMatchObject({
      type: 'bind',
      source: join(host, 'data'),
      options: ['rbind', 'ro', 'rprivate'],
      rw: false,
    });
    await svc.release(cid);
    await svc.remove('tscr-test-tmpfs');
    await svc.remove('tscr-test-dev');
  });
}
