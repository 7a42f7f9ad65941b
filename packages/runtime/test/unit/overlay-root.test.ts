import { mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir } from '@tscr/testkit';
import { overlayRoot } from '../../src/local/overlay-root.js';
import { resolveInRoot } from '../../src/local/lookpath.js';
import { resolveUser } from '../../src/local/user.js';

describe('overlayRoot', () => {
  it('turns one writable overlay into a mount at / with its layers top first', () => {
    const r = overlayRoot([
      { type: 'overlay', source: 'overlay', options: ['lowerdir=/l2:/l1', 'upperdir=/u', 'workdir=/w'] },
    ]);
    expect(r?.mount).toEqual({
      destination: '/',
      type: 'overlay',
      source: 'overlay',
      options: ['lowerdir=/l2:/l1', 'upperdir=/u', 'workdir=/w'],
    });
    expect(r?.layers).toEqual(['/u', '/l2', '/l1']);
  });

  it('leaves bind roots, read-only overlays and several mounts to the host', () => {
    expect(overlayRoot([{ type: 'bind', source: '/x', options: ['rbind'] }])).toBeUndefined();
    expect(overlayRoot([{ type: 'overlay', source: 'overlay', options: ['lowerdir=/a:/b'] }])).toBeUndefined();
    const o = { type: 'overlay', source: 'overlay', options: ['lowerdir=/a', 'upperdir=/u', 'workdir=/w'] };
    expect(overlayRoot([o, o])).toBeUndefined();
  });
});

describe('layered lookups (the container view of an overlay not mounted on the host)', () => {
  let dir = '';
  let upper = '';
  let lower = '';
  beforeAll(async () => {
    dir = await makeTempDir('layers');
    upper = join(dir, 'upper');
    lower = join(dir, 'lower');
    await mkdir(join(lower, 'etc'), { recursive: true });
    await mkdir(join(lower, 'bin'), { recursive: true });
    await mkdir(join(upper, 'etc'), { recursive: true });
    await writeFile(join(lower, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
    await writeFile(join(upper, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\napp:x:42:42::/srv:/bin/sh\n');
    await writeFile(join(lower, 'bin/busybox'), '');
    await symlink('busybox', join(lower, 'bin/sh'));
    await symlink('/bin', join(upper, 'usrbin'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('takes a file from the topmost layer that has it', async () => {
    expect(await resolveInRoot([upper, lower], '/etc/passwd')).toBe(join(upper, 'etc/passwd'));
    expect(await resolveUser([upper, lower], 'app')).toMatchObject({ uid: 42, gid: 42, home: '/srv' });
    await expect(resolveUser([lower], 'app')).rejects.toMatchObject({ code: 'InvalidArgument' });
  });

  it('follows symlinks across layers and inside the root', async () => {
    expect(await resolveInRoot([upper, lower], '/bin/sh')).toBe(join(lower, 'bin/busybox'));
    expect(await resolveInRoot([upper, lower], '/usrbin/sh')).toBe(join(lower, 'bin/busybox'));
    expect(await resolveInRoot([upper, lower], '/nope')).toBeUndefined();
  });
});
