import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cancelled } from '@tscr/api';
import { createLocalImageService } from '@tscr/image/local';
import { makeTempDir } from '@tscr/testkit';

describe.each([
  ['unpacking in this thread', Number.POSITIVE_INFINITY],
  ['unpacking in a worker thread', 0],
])('a layer blob cut off in the middle of a file, %s', (_how, unpackWorkerMinBytes) => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('fails the write at once and leaves no staged file behind', async () => {
    const [root, src] = [await makeTempDir('ingest-cut'), await makeTempDir('ingest-cut-src')];
    dirs.push(root, src);
    writeFileSync(join(src, 'big'), randomBytes(8 << 20));
    const tar = execFileSync('tar', ['-C', src, '-cf', '-', '.'], { maxBuffer: 32 << 20 });
    const desc = {
      mediaType: 'application/vnd.oci.image.layer.v1.tar',
      digest: `sha256:${createHash('sha256').update(tar).digest('hex')}`,
      size: tar.length,
    };
    const images = createLocalImageService({ root, unpackWorkerMinBytes });
    async function* half() {
      for (let at = 0; at < tar.length / 2; at += 1 << 20) yield tar.subarray(at, at + (1 << 20));
      throw cancelled('the sender went away');
    }
    await expect(images.writeBlob(desc, half())).rejects.toMatchObject({ code: 'Cancelled' });
    const staged = readdirSync(join(root, 'tmp'), { recursive: true }).filter((p) => String(p).includes('/'));
    expect(staged).toEqual([]);
    expect(await images.hasBlob(desc.digest)).toBe(false);
  });
});
