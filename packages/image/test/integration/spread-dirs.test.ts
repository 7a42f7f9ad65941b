import { execFileSync } from 'node:child_process';
import { mkdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Image } from '@tscr/api';
import { makeTempDir } from '@tscr/testkit';
import { LocalSnapshotter, spreadSubdirectories } from '../../src/local/index.js';

/** The file attributes `lsattr -d` shows for `dir` (`T`: subdirectories spread over block groups). */
function attributes(dir: string): string {
  return execFileSync('lsattr', ['-d', dir], { encoding: 'utf8' }).split(' ')[0]!;
}

/** True when this filesystem takes the Orlov hint (ext2/3/4 with chattr and lsattr installed). */
function topDirHintWorks(probe: string): boolean {
  try {
    execFileSync('chattr', ['+T', probe], { stdio: 'ignore' });
    return attributes(probe).includes('T');
  } catch {
    return false;
  }
}

describe('subdirectories spread over block groups (chattr +T)', () => {
  let work: string;
  let hinted = false;

  beforeAll(async () => {
    work = await makeTempDir('spread-dirs');
    const probe = join(work, 'probe');
    await mkdir(probe);
    hinted = topDirHintWorks(probe);
  });
  afterAll(async () => {
    await rm(work, { recursive: true, force: true });
  });

  it('makes the directory with its mode and marks it once, concurrent callers waiting for the mark', async (ctx) => {
    if (!hinted) ctx.skip();
    const dir = join(work, 'a', 'containers');
    const [first, second] = [spreadSubdirectories(dir), spreadSubdirectories(dir)];
    expect(second).toBe(first);
    await first;
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
    expect(attributes(dir)).toContain('T');
  });

  it('leaves the directory usable where the hint does not apply', async () => {
    // On any filesystem: the directory exists afterwards, whether chattr worked or not.
    const dir = join(work, 'b', 'plain');
    await spreadSubdirectories(dir, 0o755);
    expect((await stat(dir)).isDirectory()).toBe(true);
  });

  it('the snapshotter marks its directory before it makes the first snapshot there', async (ctx) => {
    if (!hinted) ctx.skip();
    const dir = join(work, 'snapshots');
    const image = { id: `sha256:${'a'.repeat(64)}`, layers: [] as string[] } as unknown as Image;
    const snapshots = new LocalSnapshotter({
      dir,
      layerDir: (d) => join(work, 'layers', d),
      resolveImage: async () => image,
    });
    await snapshots.prepareFrom('tscr-test-snap', image);
    expect(attributes(dir)).toContain('T');
    expect((await stat(join(dir, 'tscr-test-snap', 'upper'))).isDirectory()).toBe(true);
    await snapshots.removeSnapshot('tscr-test-snap');
  });
});
