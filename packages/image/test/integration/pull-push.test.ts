import { execFileSync } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { lstat, mkdir, readFile, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Progress } from '@tscr/registry-client';
import { createDistributionClient, pullImage, pushImage } from '@tscr/registry-client/local';
import { busyboxRootfsTar, makeTempDir, skipUnlessRoot, uniqueName } from '@tscr/testkit';
import { createLocalImageService, type LocalImageService } from '../../src/local/index.js';
import { buildImage, fakePull } from '../fixtures/pulled-image.js';
import {
  skipUnlessRegistry,
  startRegistry,
  type RegistryFixture,
} from '../../../registry-client/test/fixtures/registry.js';

async function drain(progress: AsyncIterable<Progress>): Promise<Progress[]> {
  const out: Progress[] = [];
  for await (const p of progress) out.push(p);
  return out;
}

/** Bytes of regular files (each inode once) and symlink targets under `dir`. */
async function apparentSize(dir: string): Promise<number> {
  const seen = new Set<number>();
  let total = 0;
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    const st = await lstat(join(e.parentPath, e.name));
    if ((st.isFile() || st.isSymbolicLink()) && !seen.has(st.ino)) total += st.size;
    seen.add(st.ino);
  }
  return total;
}

/** Mounts a snapshot's overlay on `target`, runs busybox in it (no namespaces needed) and unmounts. */
async function runInSnapshot(svc: LocalImageService, image: string, target: string): Promise<string> {
  const key = uniqueName('snap');
  const [m] = await svc.prepare(key, image);
  await mkdir(target, { recursive: true });
  execFileSync('mount', ['-t', m!.type, m!.source, '-o', m!.options.join(','), target]);
  try {
    return execFileSync(join(target, 'bin/busybox'), ['echo', 'hello from a pulled image'], { encoding: 'utf8' });
  } finally {
    execFileSync('umount', [target]);
    await svc.removeSnapshot(key);
  }
}

describe.skipIf(skipUnlessRoot('mount', 'umount', 'busybox'))('pulled images (root)', () => {
  let work: string;
  let tar: Buffer;

  beforeAll(async () => {
    work = await makeTempDir('image-pull');
    tar = await readFile(await busyboxRootfsTar(work, join(work, 'busybox.tar')));
  });
  afterAll(async () => {
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('a gzip layer written through the sink keeps ownership and mounts as an overlay', async () => {
    const svc = createLocalImageService({ root: join(work, 'fake') });
    const img = buildImage([tar, Buffer.alloc(1024)]); // the second layer is an empty tar
    const ref = `${uniqueName('busybox')}:pulled`;
    await fakePull(svc, img, ref);
    const busybox = await stat(join(work, 'fake/layers', img.diffIds[0]!.slice(7), 'fs/bin/busybox'));
    expect([busybox.uid, busybox.mode & 0o111]).toEqual([0, 0o111]);
    expect(await runInSnapshot(svc, ref, join(work, 'mnt1'))).toBe('hello from a pulled image\n');
    // As docker, the image size is what the layers unpacked to, not their compressed blobs.
    const unpacked = await apparentSize(join(work, 'fake/layers', img.diffIds[0]!.slice(7), 'fs'));
    const compressed = img.layers.reduce((n, l) => n + l.desc.size, 0);
    expect((await svc.get(ref)).size).toBe(unpacked);
    expect(unpacked).toBeGreaterThan(compressed);
    await svc.remove(ref);
    expect(await readdir(join(work, 'fake/layers'))).toEqual([]);
  });

  const noRegistry = skipUnlessRegistry();
  describe.skipIf(noRegistry)(`against docker-registry ${noRegistry ? `(skipped: ${noRegistry})` : ''}`, () => {
    let registry: RegistryFixture;
    beforeAll(async () => {
      registry = await startRegistry();
    });
    afterAll(async () => {
      await registry?.stop();
    });

    it('pushes an imported image and pulls it into an empty store', async () => {
      const client = createDistributionClient();
      const ref = `${registry.host}/tscr-test/${uniqueName('busybox')}:v1`;
      const source = createLocalImageService({ root: join(work, 'source') });
      const imported = await source.importTar(createReadStream(join(work, 'busybox.tar')), { reference: ref });
      const pushed = await drain(pushImage(client, ref, source));
      expect(pushed.some((p) => p.status === 'Pushed')).toBe(true);

      const target = createLocalImageService({ root: join(work, 'target') });
      // Two pulls at once share the downloads and unpack once.
      const [first] = await Promise.all([drain(pullImage(client, ref, target)), drain(pullImage(client, ref, target))]);
      expect(first.at(-1)?.status).toMatch(/^Downloaded image for /);
      const pulled = await target.get(ref);
      expect([pulled.id, pulled.layers, pulled.manifestDigest]).toEqual([
        imported.id,
        imported.layers,
        imported.manifestDigest,
      ]);
      expect(pulled.repoDigests).toEqual([
        `${registry.host}/tscr-test/${ref.split('/')[2]!.split(':')[0]}@${pulled.manifestDigest}`,
      ]);
      expect(await readdir(join(work, 'target/layers'))).toHaveLength(1);
      // Nothing left in scratch space but the (empty) parents pulls take turns with.
      for (const name of await readdir(join(work, 'target/tmp'))) {
        expect(name).toMatch(/^s\d$/);
        expect(await readdir(join(work, 'target/tmp', name))).toEqual([]);
      }
      expect(await runInSnapshot(target, ref, join(work, 'mnt2'))).toBe('hello from a pulled image\n');

      // A second pull finds everything stored; progress names the layer, not the config (as docker).
      const again = await drain(pullImage(client, ref, target));
      const existing = again.filter((p) => p.status === 'Already exists');
      expect(existing).toHaveLength(imported.layers.length);
      expect(again.some((p) => p.id === pulled.id)).toBe(false);
      expect(pulled.size).toBeGreaterThan(0);

      // Pushing records the pushed manifest as a repo digest of the source image, as docker.
      const copy = `${registry.host}/tscr-test/${uniqueName('copy')}:v2`;
      await source.tag(ref, copy);
      await drain(pushImage(client, copy, source));
      expect((await source.get(copy)).repoDigests).toContain(
        `${copy.slice(0, copy.lastIndexOf(':'))}@${imported.manifestDigest}`,
      );
    });
  });
});
