import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { createLocalImageService } from '@tscr/image/local';
import { makeTempDir } from '@tscr/testkit';

const MiB = 1 << 20;
const sha = (b: Uint8Array) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/** `bytes` in network-sized pieces (64 KiB), as a pull hands them to the store. */
async function* pieces(bytes: Buffer): AsyncGenerator<Uint8Array> {
  for (let at = 0; at < bytes.length; at += 64 << 10) yield bytes.subarray(at, at + (64 << 10));
}

/**
 * Layers of many MiB go through the store in pieces copied into a few reused buffers (bench/pull.sh):
 * what comes out must be the layer, byte for byte, and a failure half-way (a corrupt gzip stream, an
 * unpack past its limit) must end the write with its own error instead of waiting forever, leaving nothing.
 */
describe.each([
  ['unpacking in this thread', Number.POSITIVE_INFINITY],
  ['unpacking in a worker thread', 0],
])('a layer of many MiB written through the reused batch buffers, %s', (_how, unpackWorkerMinBytes) => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  async function layer(): Promise<{ src: string; tar: Buffer; gz: Buffer }> {
    const src = await makeTempDir('ingest-batches-src');
    dirs.push(src);
    // Random (incompressible) and text files in turn, 12 MiB in all: a dozen batches of the gzip blob.
    const text = Buffer.from('the quick brown fox jumps over the lazy dog\n'.repeat(24_000));
    for (let i = 0; i < 12; i++) writeFileSync(join(src, `f${i}`), i % 2 ? text.subarray(0, MiB) : randomBytes(MiB));
    const tar = execFileSync('tar', ['-C', src, '--sort=name', '-cf', '-', '.'], { maxBuffer: 64 * MiB });
    return { src, tar, gz: gzipSync(tar) };
  }

  async function store(limits?: { maxBytes: number }) {
    const root = await makeTempDir('ingest-batches');
    dirs.push(root);
    return {
      root,
      images: createLocalImageService({ root, unpackWorkerMinBytes, ...(limits && { layerLimits: limits }) }),
    };
  }

  const staged = (root: string) =>
    readdirSync(join(root, 'tmp'), { recursive: true }).filter((p) => String(p).includes('/'));

  it('stores the blob and unpacks the layer exactly', async () => {
    const { src, tar, gz } = await layer();
    const { root, images } = await store();
    const desc = { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: sha(gz), size: gz.length };
    await images.writeBlob(desc, pieces(gz));
    const parts: Uint8Array[] = [];
    for await (const c of images.readBlob(desc)) parts.push(c);
    const blob = Buffer.concat(parts);
    expect(sha(blob)).toBe(desc.digest);
    const fs = join(root, 'layers', sha(tar).slice(7), 'fs');
    for (let i = 0; i < 12; i++)
      expect(sha(readFileSync(join(fs, `f${i}`)))).toBe(sha(readFileSync(join(src, `f${i}`))));
    expect(staged(root)).toEqual([]);
  });

  it('unpacks three layers written at once (as a pull does), each exactly', async () => {
    const layers = [await layer(), await layer(), await layer()];
    const { root, images } = await store();
    await Promise.all(
      layers.map(({ gz }) =>
        images.writeBlob(
          { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: sha(gz), size: gz.length },
          pieces(gz),
        ),
      ),
    );
    for (const { src, tar } of layers) {
      const fs = join(root, 'layers', sha(tar).slice(7), 'fs');
      for (let i = 0; i < 12; i++)
        expect(sha(readFileSync(join(fs, `f${i}`)))).toBe(sha(readFileSync(join(src, `f${i}`))));
    }
    expect(staged(root)).toEqual([]);
  });

  it('fails a gzip stream corrupt half-way with InvalidArgument and leaves nothing', async () => {
    const { gz } = await layer();
    const bad = Buffer.from(gz);
    bad.fill(0xa5, bad.length >> 1, (bad.length >> 1) + 4096);
    const { root, images } = await store();
    const desc = { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: sha(bad), size: bad.length };
    await expect(images.writeBlob(desc, pieces(bad))).rejects.toMatchObject({ code: 'InvalidArgument' });
    expect(staged(root)).toEqual([]);
    expect(await images.hasBlob(desc.digest)).toBe(false);
  });

  it('fails a layer past its size limit half-way with ResourceExhausted and leaves nothing', async () => {
    const { gz } = await layer();
    const { root, images } = await store({ maxBytes: 5 * MiB });
    const desc = { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: sha(gz), size: gz.length };
    await expect(images.writeBlob(desc, pieces(gz))).rejects.toMatchObject({ code: 'ResourceExhausted' });
    expect(staged(root)).toEqual([]);
    expect(await images.hasBlob(desc.digest)).toBe(false);
  });
});
