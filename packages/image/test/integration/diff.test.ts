import { execFileSync } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { createGunzip } from 'node:zlib';
import { Parser, type ReadEntry } from 'tar';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { busyboxRootfsTar, makeTempDir, rejection, skipUnlessRoot, uniqueName } from '@tscr/testkit';
import { Server } from '@grpc/grpc-js';
import { listen } from '@tscr/api/grpc';
import type { ImageService, LayerInfo } from '../../src/index.js';
import { createLocalImageService } from '../../src/local/index.js';
import { GrpcImageService, addImageService } from '../../src/grpc/index.js';

/** Names, types and mtimes of a stored gzip layer's entries, in order. */
async function entriesOf(root: string, layer: LayerInfo): Promise<{ path: string; type: string; mtime: number }[]> {
  const out: { path: string; type: string; mtime: number }[] = [];
  const parser = new Parser();
  parser.on('entry', (e: ReadEntry) => {
    out.push({ path: e.path, type: e.type, mtime: Math.floor((e.mtime?.getTime() ?? -1) / 1000) });
    e.resume();
  });
  const file = join(root, 'content', 'blobs', 'sha256', layer.digest.slice('sha256:'.length));
  await new Promise<void>((resolve, reject) => {
    createReadStream(file)
      .pipe(createGunzip())
      .pipe(parser as unknown as NodeJS.WritableStream)
      .on('finish', resolve)
      .on('error', reject);
    parser.on('end', resolve);
  });
  return out;
}

for (const via of ['local', 'gRPC'] as const) {
  describe.skipIf(skipUnlessRoot('mount', 'umount', 'busybox', 'getfattr'))(
    `snapshot diffs and new images, ${via} (root)`,
    () => {
      let root: string;
      let work: string;
      let target: string;
      let svc: ImageService;
      let base: string;
      let close = (): void => undefined;

      beforeAll(async () => {
        root = await makeTempDir('image-diff');
        work = await makeTempDir('image-diff-work');
        target = join(work, 'rootfs');
        await mkdir(target);
        const local = createLocalImageService({ root });
        svc = local;
        if (via === 'gRPC') {
          const server = new Server();
          addImageService(server, local);
          const client = new GrpcImageService(await listen(server, `unix://${join(work, 'images.sock')}`));
          svc = client;
          close = () => {
            client.close();
            server.forceShutdown();
          };
        }
        base = `${uniqueName('diff')}:base`;
        await svc.importTar(createReadStream(await busyboxRootfsTar(work, join(work, 'busybox.tar'))), {
          reference: base,
        });
      });
      afterAll(async () => {
        close();
        await rm(work, { recursive: true, force: true });
        await rm(root, { recursive: true, force: true });
      });

      /** Prepares a snapshot of `image`, mounts it, runs `change` on the mounted root, unmounts. */
      async function changed(image: string, change: (dir: string) => void): Promise<string> {
        const key = uniqueName('snap');
        const [m] = await svc.prepare(key, image);
        execFileSync('mount', ['-t', m!.type, m!.source, '-o', m!.options.join(','), target]);
        try {
          change(target);
        } finally {
          execFileSync('umount', [target]);
        }
        return key;
      }

      it('archives additions, whiteouts and opaque dirs in a stable order with normalized times', async () => {
        const key = await changed(base, (dir) => {
          execFileSync('sh', [
            '-c',
            `mkdir -p ${dir}/app/z ${dir}/app/a && echo hi > ${dir}/app/a/f && rm ${dir}/bin/ls`,
          ]);
          execFileSync('sh', [
            '-c',
            `rm -rf ${dir}/etc && mkdir ${dir}/etc && echo x > ${dir}/etc/new && touch ${dir}/etc/hosts`,
          ]);
        });
        const layer = await svc.diff(key, { mountPoints: ['/etc/hosts'] });
        expect(layer.mediaType).toBe('application/vnd.oci.image.layer.v1.tar+gzip');
        expect(layer.empty).toBe(false);
        const entries = await entriesOf(root, layer);
        const paths = entries.map((e) => e.path);
        expect(paths).toEqual([
          'app/',
          'app/a/',
          'app/a/f',
          'app/z/',
          'bin/',
          'bin/.wh.ls',
          'etc/',
          'etc/.wh..wh..opq',
          'etc/new',
        ]);
        expect(entries.every((e) => e.mtime === 0)).toBe(true);

        // The same changes in another snapshot give the same digests.
        const again = await changed(base, (dir) => {
          execFileSync('sh', [
            '-c',
            `mkdir -p ${dir}/app/z ${dir}/app/a && echo hi > ${dir}/app/a/f && rm ${dir}/bin/ls`,
          ]);
          execFileSync('sh', [
            '-c',
            `rm -rf ${dir}/etc && mkdir ${dir}/etc && echo x > ${dir}/etc/new && touch ${dir}/etc/hosts`,
          ]);
        });
        const layer2 = await svc.diff(again, { mountPoints: ['/etc/hosts'] });
        expect(layer2.diffId).toBe(layer.diffId);
        expect(layer2.digest).toBe(layer.digest);

        const child = `${uniqueName('diff')}:child`;
        const image = await svc.createImage({
          parent: base,
          layers: [layer],
          config: { cmd: ['sh'], env: ['A=1'], shell: ['/bin/sh', '-c'], onBuild: ['RUN true'] },
          history: [{ createdBy: 'RUN change' }, { createdBy: 'ENV A=1', emptyLayer: true }],
          reference: child,
        });
        const parent = await svc.get(base);
        expect(image.layers).toEqual([...parent.layers, layer.diffId]);
        expect(image.config).toMatchObject({
          cmd: ['sh'],
          env: ['A=1'],
          shell: ['/bin/sh', '-c'],
          onBuild: ['RUN true'],
        });
        expect((await svc.get(child)).id).toBe(image.id);

        // A snapshot of the new image sees the changes.
        const check = await changed(child, (dir) => {
          expect(
            execFileSync('sh', ['-c', `cat ${dir}/app/a/f; ls ${dir}/etc; test -e ${dir}/bin/ls || echo gone`], {
              encoding: 'utf8',
            }),
          ).toBe('hi\nnew\ngone\n');
        });
        for (const k of [key, again, check]) await svc.removeSnapshot(k);
        await svc.remove(child);
      });

      it('refuses a history that does not match the layers, and unknown snapshots', async () => {
        const err = await rejection(svc.createImage({ parent: base, config: {}, history: [{ createdBy: 'RUN x' }] }));
        expect(err).toMatchObject({ code: 'InvalidArgument' });
        expect(await rejection(svc.diff('tscr-test-no-such-snapshot'))).toMatchObject({ code: 'NotFound' });
        expect(await rejection(svc.createImage({ parent: 'tscr-test-none:x', config: {} }))).toMatchObject({
          code: 'NotFound',
        });
      });

      it('an unchanged snapshot gives an empty layer', async () => {
        const key = await changed(base, () => undefined);
        const layer = await svc.diff(key);
        expect(layer.empty).toBe(true);
        expect(await entriesOf(root, layer)).toEqual([]);
        await svc.removeSnapshot(key);
        expect(await readFile(join(root, 'content', 'oci-layout'), 'utf8')).toContain('imageLayoutVersion');
      });
    },
  );
}
