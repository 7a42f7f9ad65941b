import { randomBytes } from 'node:crypto';
import { readFile, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TscrError, errorCode } from '@tscr/api';
import { parseReference, verifyStream } from '@tscr/registry-client';
import { hasCommand, makeTempDir, rejection, uniqueName } from '@tscr/testkit';
import { createLocalImageService, type LocalImageService } from '../../src/local/index.js';
import { unpackWorkerAvailable } from '../../src/local/unpack-thread.js';
import { buildImage, chunked, fakePull, sha, verified, type PulledImage } from '../fixtures/pulled-image.js';
import { rawTar } from '../fixtures/raw-tar.js';

const layerA = () =>
  rawTar([
    { name: 'etc/', type: '5' },
    { name: 'etc/hostname', data: 'pulled\n' },
    { name: 'bin/', type: '5' },
    { name: 'bin/tool', data: Buffer.alloc(300_000, 7), mode: 0o755 },
    { name: 'bin/tool-link', type: '2', linkname: 'tool' },
  ]);
const layerB = () =>
  rawTar([
    { name: 'etc/motd', data: 'second layer\n' },
    { name: 'big', data: Buffer.alloc(2 << 20, 1) },
  ]);

async function names(dir: string): Promise<string[]> {
  return (await readdir(dir).catch(() => [])).sort();
}

/** What is left in a store's scratch space `tmp/`, looking inside the parents (`s0`…) pulls take turns with. */
async function scratch(root: string): Promise<string[]> {
  const out: string[] = [];
  for (const n of await names(join(root, 'tmp'))) {
    if (/^s\d$/.test(n)) out.push(...(await names(join(root, 'tmp', n))).map((m) => `${n}/${m}`));
    else out.push(n);
  }
  return out;
}

it('has the built worker entry to unpack layers in (npm run build): the worker cases below are not this thread again', () => {
  expect(unpackWorkerAvailable()).toBe(true);
});

// Layers unpack in this thread or (big ones, here every one) in a worker thread: both ways must behave alike.
describe.each([
  ['unpacking in this thread', Number.POSITIVE_INFINITY],
  ['unpacking in a worker thread', 0],
])('LocalImageService as an ImageSink and ImageSource, %s', (_how, unpackWorkerMinBytes) => {
  let root: string;
  let svc: LocalImageService;
  let img: PulledImage;
  const hex = (d: string) => d.slice('sha256:'.length);
  const layerFs = (diffId: string) => join(root, 'layers', hex(diffId), 'fs');

  beforeEach(async () => {
    root = await makeTempDir('image-sink');
    svc = createLocalImageService({ root, unpackWorkerMinBytes });
    img = buildImage([layerA(), layerB()]);
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('pulls gzip layers: unpacked, listed, tagged with a repo digest, prepared', async () => {
    const ref = `${uniqueName('pulled')}:v1`;
    await fakePull(svc, img, ref);
    const got = await svc.get(ref);
    const repo = parseReference(ref);
    expect(got.id).toBe(img.config.desc.digest);
    expect(got.manifestDigest).toBe(img.manifest.desc.digest);
    expect(got.layers).toEqual(img.diffIds);
    expect(got.repoTags).toEqual([repo.normalized]);
    expect(got.repoDigests).toEqual([`${repo.domain}/${repo.path}@${img.manifest.desc.digest}`]);
    expect(got.config.env).toEqual(['PATH=/bin']);
    expect(await readFile(join(layerFs(img.diffIds[0]!), 'etc/hostname'), 'utf8')).toBe('pulled\n');
    expect((await readFile(join(layerFs(img.diffIds[0]!), 'bin/tool'))).equals(Buffer.alloc(300_000, 7))).toBe(true);
    expect(await readFile(join(layerFs(img.diffIds[1]!), 'etc/motd'), 'utf8')).toBe('second layer\n');
    for (const b of [img.config, img.manifest, ...img.layers]) expect(await svc.hasBlob(b.desc.digest)).toBe(true);
    expect((await svc.list()).map((i) => i.id)).toEqual([got.id]);
    // The image resolves by its repo digest too.
    expect((await svc.get(got.repoDigests[0]!)).id).toBe(got.id);
    await svc.tag(ref, 'another:name');
    expect((await svc.get('another:name')).repoDigests).toEqual(got.repoDigests);
    expect(await svc.remove('another:name')).toEqual([{ untagged: 'docker.io/library/another:name' }]);

    const [m] = await svc.prepare(uniqueName('snap'), ref);
    const lower = m!.options[0]!.slice('lowerdir='.length).split(':');
    expect(lower).toEqual([layerFs(img.diffIds[1]!), layerFs(img.diffIds[0]!)]);
    expect(await scratch(root)).toEqual([]);
  });

  it('accepts Docker schema2 manifests and configs', async () => {
    const docker = buildImage([layerA()], { docker: true });
    const ref = `${uniqueName('docker')}:v1`;
    await fakePull(svc, docker, ref);
    expect((await svc.get(ref)).layers).toEqual(docker.diffIds);
  });

  it.skipIf(!hasCommand('zstd'))('unpacks zstd layers (with the zstd command)', async () => {
    const z = buildImage([layerB()], { zstd: true });
    await fakePull(svc, z, `${uniqueName('zstd')}:v1`);
    expect(await readFile(join(layerFs(z.diffIds[0]!), 'etc/motd'), 'utf8')).toBe('second layer\n');
  });

  it('a stream that fails mid-way or does not match its digest leaves nothing behind', async () => {
    await svc.list();
    const before = await names(join(root, 'content', 'blobs', 'sha256'));
    const layer = img.layers[1]!;
    async function* broken() {
      let n = 0;
      for await (const c of chunked(layer.bytes)) {
        n += c.length;
        if (n > layer.bytes.length / 2) throw new TscrError('DataLoss', 'connection reset');
        yield c;
      }
    }
    expect(errorCode(await rejection(svc.writeBlob(layer.desc, broken())))).toBe('DataLoss');
    const lying = { ...layer.desc, digest: sha(Buffer.from('something else')) };
    const err = await rejection(svc.writeBlob(lying, verifyStream(chunked(layer.bytes), lying, 'test')));
    expect(errorCode(err)).toBe('DataLoss');
    const config = img.config;
    const cut = { ...config.desc, size: config.desc.size + 10 };
    expect(errorCode(await rejection(svc.writeBlob(cut, verifyStream(chunked(config.bytes), cut, 't'))))).toBe(
      'DataLoss',
    );
    expect(await names(join(root, 'content', 'blobs', 'sha256'))).toEqual(before);
    expect(await names(join(root, 'layers'))).toEqual([]);
    expect(await names(join(root, 'layer-blobs'))).toEqual([]);
    expect(await scratch(root)).toEqual([]);
    expect(await svc.hasBlob(layer.desc.digest)).toBe(false);
  });

  it('aborting a write mid-way fails with Cancelled and leaves nothing behind', async () => {
    const noisy = buildImage([rawTar([{ name: 'noise', data: randomBytes(200_000) }])]);
    const layer = noisy.layers[0]!;
    const ctrl = new AbortController();
    async function* slow() {
      let n = 0;
      for await (const c of verified(layer)) {
        if (++n === 3) ctrl.abort();
        yield c;
      }
    }
    const err = await rejection(svc.writeBlob(layer.desc, slow(), { signal: ctrl.signal }));
    expect(errorCode(err)).toBe('Cancelled');
    expect(await names(join(root, 'layers'))).toEqual([]);
    expect(await scratch(root)).toEqual([]);
    expect(await svc.hasBlob(layer.desc.digest)).toBe(false);
  });

  it.each([
    ['a small file', 500_000],
    ['a large file', 3_000_000],
  ])('a stream cut in the middle of %s fails and leaves nothing behind', async (_what, size) => {
    const noisy = buildImage([rawTar([{ name: 'noise', data: randomBytes(size) }])]);
    const layer = noisy.layers[0]!;
    async function* cut() {
      let n = 0;
      for await (const c of chunked(layer.bytes)) {
        n += c.length;
        if (n > layer.bytes.length / 2) throw new TscrError('DataLoss', 'connection reset');
        yield c;
      }
    }
    expect(errorCode(await rejection(svc.writeBlob(layer.desc, cut())))).toBe('DataLoss');
    expect(await names(join(root, 'layers'))).toEqual([]);
    expect(await scratch(root)).toEqual([]);
  });

  it('a layer that is not a tar fails with InvalidArgument and leaves nothing behind', async () => {
    const bad = buildImage([Buffer.from('not a tar at all, just some text that is long enough'.repeat(20))]);
    const err = await rejection(svc.writeBlob(bad.layers[0]!.desc, verified(bad.layers[0]!)));
    expect(errorCode(err)).toBe('InvalidArgument');
    expect(await names(join(root, 'layers'))).toEqual([]);
    expect(await scratch(root)).toEqual([]);
  });

  it('blobs of a pull that never got tagged are swept at the next start', async () => {
    await svc.list();
    const before = await names(join(root, 'content', 'blobs', 'sha256'));
    for (const b of [img.config, ...img.layers]) await svc.writeBlob(b.desc, verified(b));
    expect(await names(join(root, 'layers'))).toHaveLength(2);
    const restarted = createLocalImageService({ root, unpackWorkerMinBytes });
    expect(await restarted.list()).toEqual([]);
    expect(await names(join(root, 'content', 'blobs', 'sha256'))).toEqual(before);
    expect(await names(join(root, 'layers'))).toEqual([]);
    expect(await names(join(root, 'layer-blobs'))).toEqual([]);
  });

  it('concurrent writes of one layer share the work', async () => {
    const layer = img.layers[0]!;
    let reads = 0;
    const counted = async function* () {
      for await (const c of verified(layer)) {
        reads++;
        yield c;
      }
    };
    await Promise.all([svc.writeBlob(layer.desc, counted()), svc.writeBlob(layer.desc, counted())]);
    expect(reads).toBe(Math.ceil(layer.bytes.length / 4096));
    expect(await svc.hasBlob(layer.desc.digest)).toBe(true);
    expect(await names(join(root, 'layers'))).toEqual([hex(img.diffIds[0]!)]);
  });

  it('a layer whose unpacked directory is lost is fetched again', async () => {
    const layer = img.layers[0]!;
    await svc.writeBlob(layer.desc, verified(layer));
    await rm(join(root, 'layers', hex(img.diffIds[0]!)), { recursive: true });
    expect(await svc.hasBlob(layer.desc.digest)).toBe(false);
    await svc.writeBlob(layer.desc, verified(layer));
    expect(await svc.hasBlob(layer.desc.digest)).toBe(true);
  });

  it('tag fails with DataLoss on a diff ID mismatch and tags nothing', async () => {
    const liar = buildImage([layerA(), layerB()], { lieDiffIds: [sha(Buffer.from('a')), sha(Buffer.from('b'))] });
    const ref = `${uniqueName('liar')}:v1`;
    const err = await rejection(fakePull(svc, liar, ref));
    expect(errorCode(err)).toBe('DataLoss');
    expect(await svc.list()).toEqual([]);
    expect(errorCode(await rejection(svc.get(ref)))).toBe('NotFound');
  });

  it('tag fails when a layer is missing', async () => {
    for (const b of [img.config, img.manifest, img.layers[0]!]) await svc.writeBlob(b.desc, verified(b));
    const err = await rejection(svc.tag(parseReference('x:y'), img.manifest.desc));
    expect(errorCode(err)).toBe('FailedPrecondition');
    expect(await svc.list()).toEqual([]);
  });

  it('removing a pulled image collects its compressed blobs, records and layers', async () => {
    await svc.list();
    const before = await names(join(root, 'content', 'blobs', 'sha256'));
    const ref = `${uniqueName('gc')}:v1`;
    await fakePull(svc, img, ref);
    const result = await svc.remove(ref);
    expect(result.at(-1)).toEqual({ deleted: img.config.desc.digest });
    expect(result.map((r) => r.untagged).filter(Boolean)).toHaveLength(2); // the tag and the repo digest
    expect(await names(join(root, 'content', 'blobs', 'sha256'))).toEqual(before);
    expect(await names(join(root, 'layers'))).toEqual([]);
    expect(await names(join(root, 'layer-blobs'))).toEqual([]);
  });

  it('a pull by digest lists the image by repo digest only', async () => {
    const name = uniqueName('bydigest');
    await fakePull(svc, img, `${name}@${img.manifest.desc.digest}`);
    const [only] = await svc.list();
    expect(only?.repoTags).toEqual([]);
    expect(only?.repoDigests).toEqual([`docker.io/library/${name}@${img.manifest.desc.digest}`]);
  });

  it('resolve and readBlob round-trip an imported image', async () => {
    const ref = `${uniqueName('imported')}:v1`;
    const image = await svc.importTar(chunked(layerA()), { reference: ref });
    const desc = await svc.resolve(parseReference(ref));
    expect(desc.digest).toBe(image.manifestDigest);
    const read = async (d: { digest: string; size: number; mediaType: string }) => {
      const parts: Uint8Array[] = [];
      for await (const c of verifyStream(svc.readBlob(d), d, ref)) parts.push(c);
      return Buffer.concat(parts);
    };
    const manifest = JSON.parse((await read(desc)).toString()) as {
      config: { digest: string; size: number; mediaType: string };
      layers: { digest: string; size: number; mediaType: string }[];
    };
    expect(manifest.config.digest).toBe(image.id);
    expect(manifest.layers[0]?.mediaType).toBe('application/vnd.oci.image.layer.v1.tar');
    expect((await read(manifest.layers[0]!)).equals(layerA())).toBe(true);
    expect(errorCode(await rejection(svc.resolve(parseReference('nothing:here'))))).toBe('NotFound');
    const missing = { mediaType: 'x', digest: sha(Buffer.from('missing')), size: 7 };
    const readRaw = async () => {
      for await (const _ of svc.readBlob(missing)) expect.fail('a missing blob has no bytes');
    };
    expect(errorCode(await rejection(readRaw()))).toBe('NotFound');
  });

  it('an imported image (uncompressed layer) pulls into a second store as is', async () => {
    const ref = `${uniqueName('copy')}:v1`;
    const image = await svc.importTar(chunked(layerA()), { reference: ref });
    const other = createLocalImageService({ root: join(root, 'other'), unpackWorkerMinBytes });
    const desc = await svc.resolve(parseReference(ref));
    const manifest = JSON.parse((await readFile(join(root, 'content/blobs/sha256', hex(desc.digest)))).toString());
    for (const d of [manifest.config, ...manifest.layers, desc]) {
      await other.writeBlob(d, verifyStream(svc.readBlob(d), d, ref));
    }
    await other.tag(parseReference(ref), desc);
    const copied = await other.get(ref);
    expect([copied.id, copied.layers]).toEqual([image.id, image.layers]);
    expect(await readFile(join(root, 'other/layers', hex(image.layers[0]!), 'fs/etc/hostname'), 'utf8')).toBe(
      'pulled\n',
    );
  });
});
