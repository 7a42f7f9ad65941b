// Builds the pull benchmark's image: one layer (a mixed one, or N equal files) as an
// OCI image layout (oci-layout, index.json, blobs/sha256/…) with a gzip layer, a config and a manifest.
// Usage: node bench/pull-image.mjs WORKDIR [FILES KIB]   FILES files of KIB KiB (half random, half one repeated line)
//        node bench/pull-image.mjs WORKDIR mixed MB      about MB megabytes as users' layers are (see mixedTree)
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { copyFile, mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

const [work, files = '2000', kib = '80'] = process.argv.slice(2);
const tree = join(work, 'tree');
await mkdir(tree, { recursive: true });
const count =
  files === 'mixed' ? await mixedTree(tree, Number(kib) * 1e6) : await uniformTree(tree, Number(files), Number(kib));
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
console.log(
  `layer ${layer.digest.slice(0, 19)}… ${count} files, ${(diff.size / 1e6).toFixed(1)} MB tar, ${(layer.size / 1e6).toFixed(1)} MB gzip`,
);

/** FILES files of KIB KiB each: the first half random bytes, the second one line of text repeated. */
async function uniformTree(tree, count, kib) {
  const half = (kib * 1024) / 2;
  const text = Buffer.alloc(half, 'the quick brown fox jumps over the lazy dog\n');
  for (let i = 0; i < count; i++) {
    const dir = join(tree, `d${Math.floor(i / 100)}`);
    if (i % 100 === 0) await mkdir(dir, { recursive: true });
    await writeFile(join(dir, `f${i}`), Buffer.concat([randomBytes(half), text]));
  }
  return count;
}

/**
 * About `target` bytes of files as a layer of users' holds them: half of the bytes in files that are
 * already compressed (random bytes: images, archives, compressed data), half in text (lines of words
 * drawn from a vocabulary, which gzip shrinks about 3×, as source code and docs). Sizes as in a
 * distribution image: most files small (256 B–16 KiB), some medium (16–256 KiB), a few large
 * (256 KiB–4 MiB); 40 files to a directory, two levels deep, and a symlink every 50 files. The shape
 * (names, sizes, kinds) comes from a fixed seed; only the random bytes change between runs.
 */
async function mixedTree(tree, target) {
  let seed = 0x7a5c;
  const rand = () => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed / 2 ** 32;
  };
  const between = (lo, hi) => Math.floor(lo + rand() * (hi - lo));
  const words = Array.from({ length: 4000 }, () =>
    Array.from({ length: between(2, 11) }, () => String.fromCharCode(97 + Math.floor(rand() ** 1.5 * 26))).join(''),
  );
  const line = () => {
    const n = between(3, 14);
    let s = ' '.repeat(2 * between(0, 4));
    for (let i = 0; i < n; i++) s += `${i ? ' ' : ''}${words[Math.floor(rand() ** 2 * words.length)]}`;
    return `${s}\n`;
  };
  // 8 MB of text to cut files from (gzip's window is 32 KiB: the pool repeats nowhere it can see).
  const lines = [];
  for (let n = 0; n < 8e6; ) {
    const l = line();
    lines.push(l);
    n += l.length;
  }
  const pool = Buffer.from(lines.join(''));
  const size = () => {
    const r = rand();
    if (r < 0.85) return between(256, 16 << 10);
    if (r < 0.98) return between(16 << 10, 256 << 10);
    return between(256 << 10, 4 << 20);
  };
  const bytes = { random: 0, text: 0 };
  let i = 0;
  for (; bytes.random + bytes.text < target; i++) {
    const dir = join(tree, `usr${Math.floor(i / 1600)}`, `lib${Math.floor(i / 40)}`);
    if (i % 40 === 0) await mkdir(dir, { recursive: true });
    const n = size();
    // Whichever kind is behind gets the file, so the halves stay even whatever the sizes.
    const kind = bytes.random <= bytes.text ? 'random' : 'text';
    bytes[kind] += n;
    if (kind === 'random') await writeFile(join(dir, `f${i}.gz`), randomBytes(n));
    else {
      const at = between(0, pool.length - n);
      await writeFile(join(dir, `f${i}.txt`), pool.subarray(at, at + n));
    }
    if (i % 50 === 49) await symlink(`f${i}.${kind === 'random' ? 'gz' : 'txt'}`, join(dir, `l${i}`));
  }
  return i;
}
