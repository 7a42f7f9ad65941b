/**
 * The contract of {@link ImageService}, run against every implementation
 * (the local one and the gRPC client). Needs /bin/busybox for the fixture.
 */
import { createReadStream } from 'node:fs';
import { lstat, readFile, readdir, readlink, rm, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  errorCode,
  isFailedPrecondition,
  isInvalidArgument,
  isNotFound,
  type ErrorCode,
  type Image,
  type TscrError,
} from '@tscr/api';
import { busyboxRootfsTar, makeTempDir, uniqueName } from '@tscr/testkit';
import type { ImageService } from '../../src/types.js';
import { ociArchitecture } from '../../src/local/oci.js';

/** One implementation under test, over an image root on this host. */
export interface ImageServiceFixture {
  service: ImageService;
  /** The root directory the (local, possibly remote) service owns. */
  root: string;
  teardown(): Promise<void>;
}

async function failure(p: Promise<unknown>): Promise<TscrError> {
  try {
    await p;
  } catch (err) {
    return err as TscrError;
  }
  throw new Error('expected the call to fail');
}

async function expectCode(p: Promise<unknown>, code: ErrorCode): Promise<TscrError> {
  const err = await failure(p);
  expect(errorCode(err), (err as Error).message).toBe(code);
  return err;
}

async function* bytes(data: Buffer): AsyncGenerator<Uint8Array> {
  for (let at = 0; at < data.length; at += 100_000) yield data.subarray(at, at + 100_000);
}

/** Every path under `dir` (relative), for "nothing was left behind" checks. */
async function tree(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string): Promise<void> => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      out.push(relative(dir, p));
      if (e.isDirectory()) await walk(p);
    }
  };
  await walk(dir);
  return out.sort();
}

const hexOf = (digest: string) => digest.slice('sha256:'.length);

/** Registers the conformance suite for one implementation. */
export function describeImageService(name: string, setup: () => Promise<ImageServiceFixture>): void {
  describe(`ImageService conformance: ${name}`, () => {
    let fx: ImageServiceFixture;
    let svc: ImageService;
    let work: string;
    let tarPath: string;
    let tarSize: number;
    let repo: string;
    let first: Image;

    beforeAll(async () => {
      fx = await setup();
      svc = fx.service;
      work = await makeTempDir('image-fixture');
      tarPath = await busyboxRootfsTar(work, join(work, 'busybox.tar'));
      tarSize = (await stat(tarPath)).size;
      repo = uniqueName('img');
    });
    afterAll(async () => {
      await fx?.teardown();
      if (work) await rm(work, { recursive: true, force: true });
    });

    it('imports a busybox rootfs tar with a reference, config and message', async () => {
      first = await svc.importTar(createReadStream(tarPath), {
        reference: `${repo}:test`,
        message: 'made by the conformance suite',
        config: {
          env: ['PATH=/bin'],
          cmd: ['sh'],
          entrypoint: [],
          workingDir: '/root',
          labels: { a: 'b' },
          exposedPorts: ['80/tcp'],
        },
      });
      expect(first.id).toMatch(/^sha256:[a-f0-9]{64}$/);
      expect(first.manifestDigest).toMatch(/^sha256:[a-f0-9]{64}$/);
      expect(first.repoTags).toEqual([`docker.io/library/${repo}:test`]);
      expect(first.repoDigests).toEqual([]);
      expect(first.os).toBe('linux');
      expect(first.architecture).toBe(ociArchitecture());
      expect(first.layers).toHaveLength(1);
      expect(first.size).toBe(tarSize);
      expect(first.comment).toBe('made by the conformance suite');
      expect(first.config).toEqual({
        env: ['PATH=/bin'],
        cmd: ['sh'],
        entrypoint: [],
        workingDir: '/root',
        labels: { a: 'b' },
        exposedPorts: ['80/tcp'],
      });
      expect(Date.now() - Date.parse(first.created)).toBeLessThan(60_000);
    });

    it('unpacks the layer with modes, ownership and symlinks', async () => {
      const fs = join(fx.root, 'layers', hexOf(first.layers[0] as string), 'fs');
      const busybox = await lstat(join(fs, 'bin/busybox'));
      expect(busybox.isFile()).toBe(true);
      expect(busybox.mode & 0o7777).toBe(0o755);
      expect(busybox.uid).toBe(process.getuid?.());
      expect(await readlink(join(fs, 'bin/sh'))).toBe('busybox');
      expect((await lstat(join(fs, 'tmp'))).mode & 0o7777).toBe(0o1777);
      expect(await readFile(join(fs, 'etc/passwd'), 'utf8')).toContain('tscr:x:1000');
    });

    it('stores the image as an OCI image layout', async () => {
      const content = join(fx.root, 'content');
      expect(JSON.parse(await readFile(join(content, 'oci-layout'), 'utf8'))).toEqual({ imageLayoutVersion: '1.0.0' });
      const index = JSON.parse(await readFile(join(content, 'index.json'), 'utf8'));
      expect(index.manifests).toContainEqual(
        expect.objectContaining({
          digest: first.manifestDigest,
          annotations: { 'org.opencontainers.image.ref.name': `docker.io/library/${repo}:test` },
        }),
      );
      const manifest = JSON.parse(await readFile(join(content, 'blobs/sha256', hexOf(first.manifestDigest)), 'utf8'));
      expect(manifest.config.digest).toBe(first.id);
      expect(manifest.layers).toEqual([
        { mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: first.layers[0], size: tarSize },
      ]);
      const layer = await readFile(join(content, 'blobs/sha256', hexOf(first.layers[0] as string)));
      expect(layer.equals(await readFile(tarPath))).toBe(true);
      const config = JSON.parse(await readFile(join(content, 'blobs/sha256', hexOf(first.id)), 'utf8'));
      expect(config.rootfs).toEqual({ type: 'layers', diff_ids: first.layers });
    });

    it('gets an image by reference, full ID and ID prefix', async () => {
      const hex = hexOf(first.id);
      for (const ref of [
        `${repo}:test`,
        `docker.io/library/${repo}:test`,
        first.id,
        hex,
        hex.slice(0, 12),
        hex.slice(0, 4),
        `sha256:${hex.slice(0, 8)}`,
      ]) {
        expect((await svc.get(ref)).id, ref).toBe(first.id);
      }
    });

    it('raises NotFound (with the ref) for unknown images and InvalidArgument for bad references', async () => {
      const nf = await expectCode(svc.get(`${repo}:nope`), 'NotFound');
      expect(nf.message).toBe(`no such image: ${repo}:nope`);
      expect(nf.details.ref).toBe(`${repo}:nope`);
      await expectCode(svc.get(`sha256:${'0'.repeat(64)}`), 'NotFound');
      await expectCode(svc.remove(`${repo}:nope`), 'NotFound');
      await expectCode(svc.tag(`${repo}:nope`, `${repo}:x`), 'NotFound');
      for (const bad of ['Bad_Ref!!', 'upper/CASE', `${repo}:bad tag`, '']) {
        expect(isInvalidArgument(await failure(svc.get(bad))), bad).toBe(true);
      }
      await expectCode(svc.tag(`${repo}:test`, 'Nope:UPPER!'), 'InvalidArgument');
      await expectCode(svc.tag(`${repo}:test`, `${repo}@sha256:${'a'.repeat(64)}`), 'InvalidArgument');
      await expectCode(svc.importTar(createReadStream(tarPath), { reference: 'bad ref' }), 'InvalidArgument');
    });

    it('lists images newest first; a gzip import of the same tar shares the layer', async () => {
      const gz = gzipSync(await readFile(tarPath));
      const second = await svc.importTar(bytes(gz), { reference: `${repo}:gz` });
      expect(second.id).not.toBe(first.id);
      expect(second.layers).toEqual(first.layers);
      expect(second.size).toBe(tarSize);
      const listed = (await svc.list()).map((i) => i.id);
      expect(listed.indexOf(second.id)).toBeLessThan(listed.indexOf(first.id));
      await svc.remove(`${repo}:gz`);
      // The layer stays: the first image still uses it.
      const fs = join(fx.root, 'layers', hexOf(first.layers[0] as string), 'fs');
      expect((await stat(join(fs, 'bin/busybox'))).isFile()).toBe(true);
      await expectCode(svc.get(second.id), 'NotFound');
    });

    it('tags, and removes with Docker semantics', async () => {
      await svc.tag(first.id, `${repo}-other:v1`);
      await svc.tag(`${repo}:test`, `${repo}:v2`);
      expect((await svc.get(`${repo}-other:v1`)).repoTags).toEqual([
        `docker.io/library/${repo}-other:v1`,
        `docker.io/library/${repo}:test`,
        `docker.io/library/${repo}:v2`,
      ]);
      // By ID with tags in several repositories: must force.
      expect(isFailedPrecondition(await failure(svc.remove(first.id)))).toBe(true);
      // By tag: only untags while other tags remain.
      expect(await svc.remove(`${repo}-other:v1`)).toEqual([{ untagged: `docker.io/library/${repo}-other:v1` }]);
      expect(await svc.remove(`${repo}:v2`)).toEqual([{ untagged: `docker.io/library/${repo}:v2` }]);
      expect((await svc.get(first.id)).repoTags).toEqual([`docker.io/library/${repo}:test`]);
    });

    it('removes an image by ID (forced across repositories) and collects its blobs and layer', async () => {
      const img = await svc.importTar(createReadStream(tarPath), { reference: `${repo}-a:1` });
      await svc.tag(img.id, `${repo}-b:1`);
      await expectCode(svc.remove(hexOf(img.id).slice(0, 12)), 'FailedPrecondition');
      const results = await svc.remove(hexOf(img.id).slice(0, 12), { force: true });
      expect(results).toEqual([
        { untagged: `docker.io/library/${repo}-a:1` },
        { untagged: `docker.io/library/${repo}-b:1` },
        { deleted: img.id },
      ]);
      await expectCode(svc.get(img.id), 'NotFound');
      const blobs = await readdir(join(fx.root, 'content/blobs/sha256'));
      expect(blobs).not.toContain(hexOf(img.id));
      expect(blobs).not.toContain(hexOf(img.manifestDigest));
      expect(blobs).toContain(hexOf(first.layers[0] as string)); // still used by the first image
    });

    it('keeps an untagged import listed and moves a tag off an older image', async () => {
      const untagged = await svc.importTar(createReadStream(tarPath));
      expect(untagged.repoTags).toEqual([]);
      expect((await svc.list()).map((i) => i.id)).toContain(untagged.id);
      const moved = await svc.importTar(createReadStream(tarPath), { reference: `${repo}:test` });
      expect((await svc.get(`${repo}:test`)).id).toBe(moved.id);
      expect((await svc.get(first.id)).repoTags).toEqual([]); // now dangling, still there
      await svc.tag(first.id, `${repo}:test`);
      expect((await svc.get(moved.id)).repoTags).toEqual([]);
      expect(await svc.remove(moved.id)).toEqual([{ deleted: moved.id }]);
      expect(await svc.remove(untagged.id)).toEqual([{ deleted: untagged.id }]);
    });

    it('rejects a stream that is not a tar and leaves nothing behind', async () => {
      const before = await tree(fx.root);
      const err = await expectCode(
        svc.importTar(bytes(Buffer.from('not a tar at all\n'.repeat(100)))),
        'InvalidArgument',
      );
      expect(isInvalidArgument(err)).toBe(true);
      await expectCode(
        svc.importTar(bytes(gzipSync('not a tar either'.repeat(100))), { reference: `${repo}:junk` }),
        'InvalidArgument',
      );
      expect(await tree(fx.root)).toEqual(before);
      await expectCode(svc.get(`${repo}:junk`), 'NotFound');
    });

    it('cancels an import midway and leaves nothing behind', async () => {
      const before = await tree(fx.root);
      const data = await readFile(tarPath);
      const ac = new AbortController();
      async function* slow(): AsyncGenerator<Uint8Array> {
        yield data.subarray(0, 64 * 1024);
        await new Promise((r) => setTimeout(r, 100));
        ac.abort();
        await new Promise((r) => setTimeout(r, 100));
        yield data.subarray(64 * 1024);
      }
      await expectCode(svc.importTar(slow(), { signal: ac.signal, reference: `${repo}:cancelled` }), 'Cancelled');
      // A remote service cleans up as its end of the call closes: give it a moment.
      await expect.poll(() => tree(fx.root), { timeout: 5000 }).toEqual(before);
      await expectCode(svc.get(`${repo}:cancelled`), 'NotFound');
    });

    it('honours an aborted signal', async () => {
      const ac = new AbortController();
      ac.abort();
      await expectCode(svc.list({ signal: ac.signal }), 'Cancelled');
    });

    describe('snapshots', () => {
      const key = uniqueName('snap');

      it('prepares an overlay over the image layers', async () => {
        const mounts = await svc.prepare(key, `${repo}:test`);
        const dir = join(fx.root, 'snapshots', key);
        expect(mounts).toEqual([
          {
            type: 'overlay',
            source: 'overlay',
            options: [
              `lowerdir=${join(fx.root, 'layers', hexOf(first.layers[0] as string), 'fs')}`,
              `upperdir=${join(dir, 'upper')}`,
              `workdir=${join(dir, 'work')}`,
            ],
          },
        ]);
        expect((await stat(join(dir, 'upper'))).isDirectory()).toBe(true);
        expect((await stat(join(dir, 'work'))).isDirectory()).toBe(true);
        expect(await svc.mounts(key)).toEqual(mounts);
      });

      it('refuses duplicate keys, bad keys and unknown images', async () => {
        await expectCode(svc.prepare(key, `${repo}:test`), 'AlreadyExists');
        for (const bad of ['', '-x', 'a/b', '../x', 'x'.repeat(129)]) {
          await expectCode(svc.prepare(bad, `${repo}:test`), 'InvalidArgument');
        }
        await expectCode(svc.prepare(uniqueName('snap'), `${repo}:nope`), 'NotFound');
        await expectCode(svc.mounts(uniqueName('snap')), 'NotFound');
      });

      it('protects an image in use unless forced', async () => {
        const err = await expectCode(svc.remove(`${repo}:test`), 'FailedPrecondition');
        expect(err.details.snapshot).toBe(key);
        await expectCode(svc.remove(first.id), 'FailedPrecondition');
        expect((await svc.get(first.id)).id).toBe(first.id);
      });

      it('removes snapshots idempotently', async () => {
        await svc.removeSnapshot(key);
        await svc.removeSnapshot(key);
        await expectCode(svc.mounts(key), 'NotFound');
        await expectCode(svc.removeSnapshot('../x'), 'InvalidArgument');
      });

      it('keeps the layers of a force-removed image until its snapshot goes', async () => {
        const other = uniqueName('snap');
        const mounts = await svc.prepare(other, first.id);
        const layerDir = join(fx.root, 'layers', hexOf(first.layers[0] as string));
        expect(await svc.remove(`${repo}:test`, { force: true })).toEqual([
          { untagged: `docker.io/library/${repo}:test` },
          { deleted: first.id },
        ]);
        expect(await svc.mounts(other)).toEqual(mounts);
        expect((await stat(join(layerDir, 'fs/bin/busybox'))).isFile()).toBe(true);
        await svc.removeSnapshot(other);
        await expect(stat(layerDir)).rejects.toMatchObject({ code: 'ENOENT' });
        expect(isNotFound(await failure(svc.get(first.id)))).toBe(true);
        expect(await readdir(join(fx.root, 'content/blobs/sha256'))).toEqual([]);
      });
    });
  });
}
