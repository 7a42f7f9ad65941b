import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FAILPOINTS_ENV, type Image } from '@tscr/api';
import { LocalSnapshotter } from '@tscr/image/local';

const packageDir = fileURLToPath(new URL('../..', import.meta.url));
const built = existsSync(join(packageDir, 'dist', 'local', 'index.js'));

/** An image with no layers: the snapshotter only records its ID and layers. */
const image = { id: `sha256:${'a'.repeat(64)}`, layers: [] } as unknown as Image;

describe('snapshot removal behind the call (the image layer trash)', () => {
  let root: string;
  const opts = () => ({
    dir: join(root, 'snapshots'),
    trashDir: join(root, 'trash'),
    layerDir: (id: string) => join(root, 'layers', id),
    resolveImage: () => Promise.resolve(image),
  });

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'tscr-test-snaptrash-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('frees the key at once and removes the files behind the call', async () => {
    const s = new LocalSnapshotter(opts());
    await s.prepareFrom('c1', image);
    writeFileSync(join(root, 'snapshots', 'c1', 'upper', 'f'), 'x'.repeat(1 << 16));
    expect((await s.remove('c1'))?.image).toBe(image.id);
    expect(readdirSync(join(root, 'snapshots'))).toEqual([]);
    await s.prepareFrom('c1', image); // the key is free again before the files are gone
    await s.settled();
    expect(readdirSync(join(root, 'trash'))).toEqual([]);
    expect(existsSync(join(root, 'snapshots', 'c1', 'upper'))).toBe(true);
  });

  it('makes the snapshots directory again when it was removed under the daemon, and refuses a taken key', async () => {
    const s = new LocalSnapshotter(opts());
    await s.prepareFrom('c1', image);
    rmSync(join(root, 'snapshots'), { recursive: true, force: true });
    const mounts = await s.prepareFrom('c3', image);
    expect(mounts[0]?.options).toContain(`upperdir=${join(root, 'snapshots', 'c3', 'upper')}`);
    expect(readdirSync(join(root, 'snapshots', 'c3')).sort()).toEqual(['snapshot.json', 'upper', 'work']);
    expect(await s.mounts('c3')).toEqual(mounts);
    await expect(s.prepareFrom('c3', image)).rejects.toMatchObject({ code: 'AlreadyExists' });
    // c1's record is still known to this instance (its mounts come from memory); removing it, files already
    // gone, frees the key.
    expect((await s.remove('c1'))?.image).toBe(image.id);
    await expect(s.mounts('c1')).rejects.toMatchObject({ code: 'NotFound' });
  });

  // A daemon killed right after the rename (failpoint `image.snapshot.after-trash`, armed in a child
  // process that runs the built package): the entry stays, and the next instance's sweep removes it.
  it.skipIf(!built)('leaves what a crash interrupted to the next instance, which removes it', async () => {
    const script = `
      import { LocalSnapshotter } from '@tscr/image/local';
      const image = ${JSON.stringify(image)};
      const s = new LocalSnapshotter({
        dir: ${JSON.stringify(join(root, 'snapshots'))},
        trashDir: ${JSON.stringify(join(root, 'trash'))},
        layerDir: (id) => id,
        resolveImage: async () => image,
      });
      await s.prepareFrom('c2', image);
      await s.remove('c2');
      console.log('removed');
    `;
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      cwd: packageDir,
      env: { ...process.env, [FAILPOINTS_ENV]: 'image.snapshot.after-trash=kill' },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(child.signal, child.stderr).toBe('SIGKILL');
    expect(child.stdout).not.toContain('removed');
    expect(readdirSync(join(root, 'snapshots'))).toEqual([]);
    const [entry, ...more] = readdirSync(join(root, 'trash'));
    expect(more).toEqual([]);
    expect(existsSync(join(root, 'trash', entry!, 'upper'))).toBe(true);

    const next = new LocalSnapshotter(opts());
    expect(await next.list()).toEqual([]);
    next.sweep();
    await next.settled();
    expect(readdirSync(join(root, 'trash'))).toEqual([]);
  });
});
