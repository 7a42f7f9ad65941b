import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Image } from '@tscr/api';
import { LocalSnapshotter, type SnapshotRecord } from '@tscr/image/local';

const imageA = { id: `sha256:${'a'.repeat(64)}`, layers: [`sha256:${'1'.repeat(64)}`] } as unknown as Image;
const imageB = {
  id: `sha256:${'b'.repeat(64)}`,
  layers: [`sha256:${'1'.repeat(64)}`, `sha256:${'2'.repeat(64)}`],
} as unknown as Image;

/** The overlay's lowerdir option of a snapshot's mounts. */
const lowerOf = (mounts: { options: string[] }[]) => mounts[0]?.options.find((o) => o.startsWith('lowerdir='));

// The snapshotter keeps the records it wrote or read in memory: a start reads its snapshot's mounts without
// touching the file. The entry must go with the snapshot, and another instance (a restarted daemon) reads the file.
describe('LocalSnapshotter: the records kept in memory', () => {
  let root: string;
  const opts = (trash = true) => ({
    dir: join(root, 'snapshots'),
    ...(trash && { trashDir: join(root, 'trash') }),
    layerDir: (id: string) => join(root, 'layers', id),
    resolveImage: () => Promise.resolve(imageA),
  });
  const recordFile = (key: string) => join(root, 'snapshots', key, 'snapshot.json');

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'tscr-test-snaprec-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('answers mounts from the record it wrote, without reading the file again', async () => {
    const s = new LocalSnapshotter(opts());
    const made = await s.prepareFrom('c1', imageA);
    expect(JSON.parse(readFileSync(recordFile('c1'), 'utf8')).layers).toEqual(imageA.layers);
    writeFileSync(recordFile('c1'), 'not json'); // read from disk, this would be a corrupt record
    expect(await s.mounts('c1')).toEqual(made);
  });

  it('reads the file in another instance, and the same mounts come out', async () => {
    const made = await new LocalSnapshotter(opts()).prepareFrom('c1', imageB);
    const other = new LocalSnapshotter(opts());
    expect(await other.mounts('c1')).toEqual(made);
    writeFileSync(recordFile('c1'), 'not json');
    expect(await other.mounts('c1')).toEqual(made); // kept after that first read
    await expect(new LocalSnapshotter(opts()).mounts('c1')).rejects.toMatchObject({ code: 'Internal' });
  });

  for (const trash of [true, false]) {
    it(`forgets a removed snapshot (${trash ? 'with' : 'without'} a trash directory)`, async () => {
      const s = new LocalSnapshotter(opts(trash));
      await s.prepareFrom('c1', imageA);
      expect((await s.remove('c1'))?.image).toBe(imageA.id);
      await expect(s.mounts('c1')).rejects.toMatchObject({ code: 'NotFound' });
      await expect(s.record('c1')).rejects.toMatchObject({ code: 'NotFound' });
      // The key made again from another image: its own record, not the old one.
      await s.prepareFrom('c1', imageB);
      expect(lowerOf(await s.mounts('c1'))).toBe(
        `lowerdir=${join(root, 'layers', imageB.layers[1]!, 'fs')}:${join(root, 'layers', imageB.layers[0]!, 'fs')}`,
      );
      expect((await s.record('c1')).image).toBe(imageB.id);
      await s.settled();
    });
  }

  it('keeps nothing for a snapshot whose removal overlapped the read', async () => {
    await new LocalSnapshotter(opts()).prepareFrom('c1', imageA);
    const s = new LocalSnapshotter(opts()); // nothing known: the read goes to the file
    const reading = s.record('c1');
    await s.remove('c1');
    // The read either got the file before the removal renamed it away, or found it gone (a thread-pool race).
    const read: SnapshotRecord | Error = await reading.catch((err: Error) => err);
    if (read instanceof Error) expect(read).toMatchObject({ code: 'NotFound' });
    else expect(read.image).toBe(imageA.id);
    await expect(s.mounts('c1')).rejects.toMatchObject({ code: 'NotFound' });
    await s.settled();
  });

  it('gives copies: a caller changing a record changes nothing kept', async () => {
    const s = new LocalSnapshotter(opts());
    await s.prepareFrom('c1', imageB);
    const r = await s.record('c1');
    r.layers.pop();
    r.image = 'changed';
    expect(await s.record('c1')).toMatchObject({ image: imageB.id, layers: imageB.layers });
  });

  it('makes the snapshots directory again when it went away after the first snapshot', async () => {
    const s = new LocalSnapshotter(opts());
    await s.prepareFrom('c1', imageA);
    rmSync(join(root, 'snapshots'), { recursive: true });
    await s.prepareFrom('c2', imageA);
    expect(JSON.parse(readFileSync(recordFile('c2'), 'utf8')).key).toBe('c2');
    await expect(s.prepareFrom('c2', imageA)).rejects.toMatchObject({ code: 'AlreadyExists' });
  });
});
