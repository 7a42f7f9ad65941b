// Builds the pull benchmark's image: a layer of N files (half random, half repeated text) as an
// OCI image layout (oci-layout, index.json, blobs/sha256/…) with a gzip layer, a config and a manifest.
// Usage: node bench/pull-image.mjs WORKDIR [FILES] [KIB]
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

const [work, files = '2000', kib = '80'] = process.argv.slice(2);
const tree = join(work, 'tree');
await mkdir(tree, { recursive: true });
const half = (Number(kib) * 1024) / 2;
const text = Buffer.alloc(half, 'the quick brown fox jumps over the lazy dog\n');
for (let i = 0; i < Number(files); i++) {
  const dir = join(tree, `d${Math.floor(i / 100)}`);
  if (i % 100 === 0) await mkdir(dir, { recursive: true });
  await writeFile(join(dir, `f${i}`), Buffer.concat([randomBytes(half), text]));
}
const tar = join(work, 'layer.tar');
execFileSync('tar', ['-C', tree, '-cf', tar, '.']);
execFileSync('sh', ['-c', `gzip -c "${tar}" > "${tar}.gz"`]);

const sha = (file) =>
  new Promise((resolve, reject) => {
    const h = createHash('sha256');
    let size = 0;
    createReadStream(file)
      .on('data', (c) => {
        h.update(c);
        size += c.length;
      })
      .on('end', () => resolve({ digest: `sha256:${h.digest('hex')}`, size }))
      .on('error', reject);
  });

const oci = join(work, 'oci');
const blobs = join(oci, 'blobs', 'sha256');
await mkdir(blobs, { recursive: true });
const diff = await sha(tar);
const layer = await sha(`${tar}.gz`);
await copyFile(`${tar}.gz`, join(blobs, layer.digest.slice(7)));
const put = async (obj) => {
  const bytes = Buffer.from(JSON.stringify(obj));
  const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
  await writeFile(join(blobs, digest.slice(7)), bytes);
  return { digest, size: bytes.length };
};
const arch = { x64: 'amd64', arm64: 'arm64' }[process.arch] ?? process.arch;
const config = await put({
  architecture: arch,
  os: 'linux',
  config: { Cmd: ['/bin/sh'] },
  rootfs: { type: 'layers', diff_ids: [diff.digest] },
});
const manifest = await put({
  schemaVersion: 2,
  mediaType: 'application/vnd.oci.image.manifest.v1+json',
  config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
  layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', ...layer }],
});
await writeFile(join(oci, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
await writeFile(
  join(oci, 'index.json'),
  JSON.stringify({
    schemaVersion: 2,
    manifests: [
      {
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        ...manifest,
        annotations: { 'org.opencontainers.image.ref.name': 'bench' },
      },
    ],
  }),
);
console.log(`layer ${layer.digest} ${(layer.size / 1e6).toFixed(1)} MB gzip, ${(diff.size / 1e6).toFixed(1)} MB tar`);
