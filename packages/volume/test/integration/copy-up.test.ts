/**
 * Copy-up through a real read-only overlay of several image layers (root
 * only): whiteouts hide lower files, owners and modes are kept, and the
 * overlay used for the copy is gone afterwards.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { chown, mkdir, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLocalVolumeService } from '@tscr/volume/local';
import { makeTempDir, skipUnlessRoot } from '@tscr/testkit';

describe.skipIf(skipUnlessRoot('mount', 'cp'))('copy-up from a layered image', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await makeTempDir('volume-copyup');
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('merges the layers, honours whiteouts and leaves no mount behind', async () => {
    const lower = join(dir, 'lower');
    const upper = join(dir, 'upper');
    await mkdir(join(lower, 'srv'), { recursive: true });
    await writeFile(join(lower, 'srv', 'old.txt'), 'old');
    await writeFile(join(lower, 'srv', 'gone.txt'), 'gone');
    await mkdir(join(upper, 'srv'), { recursive: true });
    await writeFile(join(upper, 'srv', 'new.txt'), 'new', { mode: 0o600 });
    await chown(join(upper, 'srv', 'new.txt'), 4321, 8765);
    execFileSync('mknod', [join(upper, 'srv', 'gone.txt'), 'c', '0', '0']);

    const svc = createLocalVolumeService({ root: join(dir, 'volumes') });
    const [m] = await svc.resolveMounts(
      'tscr-test-c',
      [{ type: 'volume', source: 'tscr-test-layers', target: '/srv' }],
      {
        imageLayers: [upper, lower],
      },
    );
    expect((await readdir(m!.source)).sort()).toEqual(['new.txt', 'old.txt']);
    expect(await readFile(join(m!.source, 'old.txt'), 'utf8')).toBe('old');
    const st = await stat(join(m!.source, 'new.txt'));
    expect([st.uid, st.gid, st.mode & 0o777]).toEqual([4321, 8765, 0o600]);
    expect(readFileSync('/proc/self/mountinfo', 'utf8')).not.toContain(dir);
    expect((await readdir(join(dir, 'volumes'))).filter((e) => e.startsWith('.copy-up'))).toEqual([]);
    await svc.release('tscr-test-c');
    await svc.remove('tscr-test-layers');
  });

  it('refuses a file over a directory of an upper layer but not over a whited-out one', async () => {
    const svc = createLocalVolumeService({ root: join(dir, 'volumes2') });
    const file = join(dir, 'a-file');
    await writeFile(file, 'x');
    const lower = join(dir, 'l2');
    const upper = join(dir, 'u2');
    await mkdir(join(lower, 'etc', 'conf'), { recursive: true });
    await mkdir(join(upper, 'etc'), { recursive: true });
    await expect(
      svc.resolveMounts('tscr-test-c', [{ type: 'bind', source: file, target: '/etc/conf' }], {
        imageLayers: [upper, lower],
      }),
    ).rejects.toMatchObject({ code: 'InvalidArgument' });
    await writeFile(join(upper, 'etc', '.wh.conf'), '');
    const [m] = await svc.resolveMounts('tscr-test-c', [{ type: 'bind', source: file, target: '/etc/conf' }], {
      imageLayers: [upper, lower],
    });
    expect(m?.source).toBe(file);
  });
});
