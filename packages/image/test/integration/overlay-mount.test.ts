import { execFileSync } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { busyboxRootfsTar, makeTempDir, skipUnlessRoot, uniqueName } from '@tscr/testkit';
import { createLocalImageService, type LocalImageService } from '../../src/local/index.js';

describe.skipIf(skipUnlessRoot('mount', 'umount', 'busybox'))('overlay snapshots (root)', () => {
  let root: string;
  let work: string;
  let target: string;
  let mounted = false;
  let svc: LocalImageService;

  beforeAll(async () => {
    root = await makeTempDir('image-overlay');
    work = await makeTempDir('image-overlay-work');
    target = join(work, 'rootfs');
    execFileSync('mkdir', ['-p', target]);
    svc = createLocalImageService({ root });
  });
  afterAll(async () => {
    if (mounted) execFileSync('umount', [target]);
    await rm(work, { recursive: true, force: true });
    await rm(root, { recursive: true, force: true });
  });

  it('mounts the overlay prepare returns; writes land in the upper dir', async () => {
    const tar = await busyboxRootfsTar(work, join(work, 'busybox.tar'));
    const ref = `${uniqueName('overlay')}:test`;
    await svc.importTar(createReadStream(tar), { reference: ref });
    const key = uniqueName('snap');
    const [m] = await svc.prepare(key, ref);
    expect(m?.type).toBe('overlay');
    execFileSync('mount', ['-t', m!.type, m!.source, '-o', m!.options.join(','), target]);
    mounted = true;

    expect((await stat(join(target, 'bin/busybox'))).isFile()).toBe(true);
    expect(execFileSync(join(target, 'bin/busybox'), ['echo', 'hello from the image'], { encoding: 'utf8' })).toBe(
      'hello from the image\n',
    );
    await writeFile(join(target, 'root/note.txt'), 'written in the container');
    const upper = join(root, 'snapshots', key, 'upper');
    expect(await readFile(join(upper, 'root/note.txt'), 'utf8')).toBe('written in the container');
    // The image layer itself is untouched.
    const lower = m!.options[0]!.slice('lowerdir='.length).split(':')[0]!;
    await expect(stat(join(lower, 'root/note.txt'))).rejects.toMatchObject({ code: 'ENOENT' });

    execFileSync('umount', [target]);
    mounted = false;
    await svc.removeSnapshot(key);
    await expect(stat(join(root, 'snapshots', key))).rejects.toMatchObject({ code: 'ENOENT' });
    await svc.remove(ref);
  });
});
