/**
 * The contract of {@link ImageArchiver} and {@link ImageCollector} (save,
 * load, history, prune), run against the local service and through gRPC.
 * The fixture's service must collect unreferenced blobs at once (`gcGraceMs: 0`).
 */
import { createReadStream } from 'node:fs';
import { mkdir, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorCode, type ErrorCode, type Image } from '@tscr/api';
import { busyboxRootfsTar, makeTempDir, rejection, uniqueName } from '@tscr/testkit';
import { Parser, create, type ReadEntry } from 'tar';
import type { ImageService } from '../../src/types.js';
import type { ImageServiceFixture } from './image-service.js';

async function collect(source: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of source) parts.push(Buffer.from(c));
  return Buffer.concat(parts);
}

async function* bytes(data: Buffer): AsyncGenerator<Uint8Array> {
  for (let at = 0; at < data.length; at += 65_536) yield data.subarray(at, at + 65_536);
}

/** Path → content of every regular file of a tar. */
async function untar(data: Buffer): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  const parser = new Parser({ strict: true });
  parser.on('entry', (e: ReadEntry) => {
    const parts: Buffer[] = [];
    e.on('data', (c: Buffer) => parts.push(c));
    e.on('end', () => {
      if (e.type === 'File') out.set(e.path, Buffer.concat(parts));
    });
  });
  await new Promise<void>((resolve, reject) => {
    parser.on('end', resolve);
    parser.on('error', reject);
    parser.end(data);
  });
  return out;
}

async function tree(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string): Promise<void> => {
    for (const e of await readdir(d, { withFileTypes: true }).catch(() => [])) {
      const p = join(d, e.name);
      out.push(relative(dir, p));
      if (e.isDirectory()) await walk(p);
    }
  };
  await walk(dir);
  return out.sort();
}

async function code(p: Promise<unknown>): Promise<ErrorCode> {
  return errorCode(await rejection(p));
}

/** Registers the archive, history and prune suite for one implementation. */
export function describeImageArchive(name: string, setup: () => Promise<ImageServiceFixture>): void {
  describe(`ImageArchiver and ImageCollector: ${name}`, () => {
    let fx: ImageServiceFixture;
    let svc: ImageService;
    let work: string;
    let tarPath: string;
    let repo: string;
    let img: Image;
    /** What the content store holds (blobs, unpacked layers), to check failed loads leave nothing. */
    const stored = () => Promise.all([tree(join(fx.root, 'content')), tree(join(fx.root, 'layers'))]);

    beforeAll(async () => {
      fx = await setup();
      svc = fx.service;
      work = await makeTempDir('archive-fixture');
      tarPath = await busyboxRootfsTar(work, join(work, 'busybox.tar'));
      repo = uniqueName('arc');
      img = await svc.importTar(createReadStream(tarPath), {
        reference: `${repo}:1`,
        message: 'imported for the archive suite',
        config: { cmd: ['sh'], labels: { keep: 'yes' } },
      });
      await svc.tag(`${repo}:1`, `${repo}:2`);
    });
    afterAll(async () => {
      await fx?.teardown();
      if (work) await rm(work, { recursive: true, force: true });
    });

    it('saves a docker-archive (manifest.json, repositories, config, layer tars) and loads it back', async () => {
      const data = await collect(svc.save([`${repo}:1`]));
      const files = await untar(data);
      const manifest = JSON.parse((files.get('manifest.json') as Buffer).toString()) as {
        Config: string;
        RepoTags: string[];
        Layers: string[];
      }[];
      expect(manifest).toHaveLength(1);
      expect(manifest[0]?.RepoTags).toEqual([`docker.io/library/${repo}:1`]);
      expect(manifest[0]?.Config).toBe(`${img.id.slice(7)}.json`);
      expect(manifest[0]?.Layers).toEqual([`${(img.layers[0] as string).slice(7)}.tar`]);
      expect(JSON.parse((files.get('repositories') as Buffer).toString())).toEqual({
        [`docker.io/library/${repo}`]: { '1': (img.layers[0] as string).slice(7) },
      });
      expect(files.get(`${(img.layers[0] as string).slice(7)}.tar`)).toEqual(await readFile(tarPath));

      await svc.remove(img.id, { force: true });
      const loaded = await svc.load(bytes(data));
      expect(loaded).toEqual([{ id: img.id, refs: [`docker.io/library/${repo}:1`] }]);
      const back = await svc.get(`${repo}:1`);
      expect(back.id).toBe(img.id);
      expect(back.config.cmd).toEqual(['sh']);
      await svc.prepare(uniqueName('snap'), back.id);
    });

    it('saves an OCI layout (oci-layout, index.json with ref names, blobs) and loads it back', async () => {
      await svc.tag(`${repo}:1`, `${repo}:2`);
      const data = await collect(svc.save([`${repo}:1`, `${repo}:2`], { format: 'oci-archive' }));
      const files = await untar(data);
      expect(JSON.parse((files.get('oci-layout') as Buffer).toString())).toEqual({ imageLayoutVersion: '1.0.0' });
      const index = JSON.parse((files.get('index.json') as Buffer).toString()) as {
        manifests: { digest: string; annotations: Record<string, string> }[];
      };
      expect(index.manifests.map((m) => m.annotations['org.opencontainers.image.ref.name'])).toEqual([
        `docker.io/library/${repo}:1`,
        `docker.io/library/${repo}:2`,
      ]);
      const m = index.manifests[0] as { digest: string };
      expect(files.has(`blobs/sha256/${m.digest.slice(7)}`)).toBe(true);
      expect(files.has(`blobs/sha256/${img.id.slice(7)}`)).toBe(true);

      await svc.remove(img.id, { force: true });
      const loaded = await svc.load(bytes(data));
      expect(loaded).toEqual([{ id: img.id, refs: [`docker.io/library/${repo}:1`, `docker.io/library/${repo}:2`] }]);
      expect((await svc.get(`${repo}:2`)).id).toBe(img.id);
      await svc.prepare(uniqueName('snap'), img.id);
    });

    it('save of an unknown image is NotFound; of nothing, InvalidArgument', async () => {
      expect(await code(collect(svc.save([`${uniqueName('missing')}:1`])))).toBe('NotFound');
      expect(await code(collect(svc.save([])))).toBe('InvalidArgument');
    });

    it('load of a non-archive or a truncated archive is InvalidArgument and stores nothing', async () => {
      const before = await stored();
      expect(await code(svc.load(bytes(Buffer.from('this is not a tar archive at all'.repeat(40)))))).toBe(
        'InvalidArgument',
      );
      expect(await stored()).toEqual(before);
      const data = await collect(svc.save([`${repo}:1`]));
      await svc.remove(img.id, { force: true });
      const gone = await stored();
      expect(await code(svc.load(bytes(data.subarray(0, Math.floor(data.length / 2)))))).toBe('InvalidArgument');
      expect(await stored()).toEqual(gone);
      await svc.load(bytes(data));
      await svc.tag(`${repo}:1`, `${repo}:2`);
    });

    it('load of an archive whose layer does not match its config is InvalidArgument', async () => {
      const data = await collect(svc.save([`${repo}:1`]));
      const files = await untar(data);
      const manifest = JSON.parse((files.get('manifest.json') as Buffer).toString()) as { Layers: string[] }[];
      const layer = manifest[0]?.Layers[0] as string;
      const dir = await makeTempDir('archive-bad');
      try {
        for (const [p, content] of files) await writeFile(join(dir, p), p === layer ? Buffer.from('x') : content);
        const bad = await collect(create({ cwd: dir, portable: true }, [...files.keys()]) as AsyncIterable<Buffer>);
        expect(await code(svc.load(bytes(bad)))).toBe('InvalidArgument');
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });

    it('loads a legacy docker-archive whose layers are <id>/layer.tar symlinks', async () => {
      const data = await collect(svc.save([`${repo}:1`]));
      const files = await untar(data);
      const dir = await makeTempDir('archive-legacy');
      try {
        const hex = (img.layers[0] as string).slice(7);
        await writeFile(join(dir, `${hex}.tar`), files.get(`${hex}.tar`) as Buffer);
        await mkdir(join(dir, 'v1id'));
        await symlink(`../${hex}.tar`, join(dir, 'v1id', 'layer.tar'));
        await writeFile(join(dir, `${img.id.slice(7)}.json`), files.get(`${img.id.slice(7)}.json`) as Buffer);
        const manifest = [
          { Config: `${img.id.slice(7)}.json`, RepoTags: [`${repo}:legacy`], Layers: ['v1id/layer.tar'] },
        ];
        await writeFile(join(dir, 'manifest.json'), JSON.stringify(manifest));
        const names = [`${hex}.tar`, 'v1id', `${img.id.slice(7)}.json`, 'manifest.json'];
        const legacy = await collect(create({ cwd: dir, portable: true }, names) as AsyncIterable<Buffer>);
        expect(await svc.load(bytes(legacy))).toEqual([{ id: img.id, refs: [`docker.io/library/${repo}:legacy`] }]);
        await svc.remove(`${repo}:legacy`);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });

    it('history lists the import step with its size and comment', async () => {
      const h = await svc.history(`${repo}:1`);
      expect(h).toHaveLength(1);
      expect(h[0]?.id).toBe(img.id);
      expect(h[0]?.createdBy).toBe('tscr image import');
      expect(h[0]?.comment).toBe('imported for the archive suite');
      expect(h[0]?.size).toBe(img.size);
      expect(h[0]?.tags).toEqual([`docker.io/library/${repo}:1`, `docker.io/library/${repo}:2`]);
      expect(await code(svc.history(`${uniqueName('missing')}:1`))).toBe('NotFound');
    });

    it('prune removes dangling images, keeps tagged and in-use ones; -a removes unused tagged ones', async () => {
      const dangling = await svc.importTar(createReadStream(tarPath), { message: 'dangling' });
      const used = await svc.importTar(createReadStream(tarPath), { message: 'used' });
      const snap = uniqueName('snap');
      await svc.prepare(snap, used.id);
      const labelled = await svc.importTar(createReadStream(tarPath), {
        reference: `${repo}:labelled`,
        config: { labels: { drop: 'me' } },
      });
      expect(await code(svc.prune({ filters: ['colour=red'] }))).toBe('InvalidArgument');

      const first = await svc.prune();
      expect(first.deleted).toContainEqual({ deleted: dangling.id });
      expect(first.deleted).not.toContainEqual({ deleted: used.id });
      expect(first.spaceReclaimed).toBeGreaterThan(0); // its config and manifest (the layer is shared)
      expect(await code(svc.get(dangling.id))).toBe('NotFound');
      expect((await svc.get(used.id)).id).toBe(used.id);

      const byLabel = await svc.prune({ all: true, filters: ['label=drop=me'] });
      expect(byLabel.deleted).toEqual([{ untagged: `docker.io/library/${repo}:labelled` }, { deleted: labelled.id }]);
      expect((await svc.get(`${repo}:1`)).id).toBe(img.id);

      await svc.removeSnapshot(snap);
      const all = await svc.prune({ all: true, filters: ['label!=keep'] });
      expect(all.deleted).toEqual([{ deleted: used.id }]);
    });

    it('prune with the live snapshot keys removes the others; without them, none', async () => {
      const dead = uniqueName('snap');
      const live = uniqueName('snap');
      await svc.prepare(dead, img.id);
      await svc.prepare(live, img.id);
      await svc.prune();
      expect(await svc.mounts(dead)).toHaveLength(1);
      await svc.prune({ liveSnapshots: [live] });
      expect(await code(svc.mounts(dead))).toBe('NotFound');
      expect(await svc.mounts(live)).toHaveLength(1);
      await svc.removeSnapshot(live);
    });

    it('prune collects blobs and unpacked layers nothing references', async () => {
      const orphanBlob = join(fx.root, 'content', 'blobs', 'sha256', 'f'.repeat(64));
      const orphanLayer = join(fx.root, 'layers', 'e'.repeat(64));
      await writeFile(orphanBlob, 'orphan');
      await mkdir(join(orphanLayer, 'fs'), { recursive: true });
      const result = await svc.prune();
      expect(result.spaceReclaimed).toBe('orphan'.length);
      expect(await tree(join(fx.root, 'layers'))).not.toContain('e'.repeat(64));
      expect(await tree(join(fx.root, 'content'))).not.toContain(join('blobs', 'sha256', 'f'.repeat(64)));
      expect((await svc.get(`${repo}:1`)).id).toBe(img.id);
    });
  });
}
