// Times a whole "pull" of one layer into a LocalImageService (writeBlob: tee to
// the blob store, gunzip, diff-ID hash, unpack) against `tar -xzf` of the same
// file (make one with make-layer.mjs). Usage (root, after `npx tsup`):
//   node bench/image/pull-unpack.mjs LAYER.tar.gz [runs]
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, readFileSync, statSync } from 'node:fs';
import { mkdtemp, rm, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
// IMAGE_DIST=path/to/index.js times another build of @tscr/image (e.g. one made with `tsup --out-dir`).
const { createLocalImageService } = await import(
  process.env.IMAGE_DIST ? pathToFileURL(process.env.IMAGE_DIST).href : '../../packages/image/dist/index.js'
);

const [file, runsText = '3'] = process.argv.slice(2);
if (!file) throw new Error('usage: pull-unpack.mjs LAYER.tar.gz [runs]');
const runs = Number(runsText);
const size = statSync(file).size;
const digest = `sha256:${createHash('sha256').update(readFileSync(file)).digest('hex')}`;
const desc = { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest, size };
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function* chunks() {
  // What the registry client hands over: verified chunks of an HTTP body.
  const hash = createHash('sha256');
  for await (const c of createReadStream(file, { highWaterMark: 256 * 1024 })) {
    hash.update(c);
    yield c;
  }
  if (`sha256:${hash.digest('hex')}` !== digest) throw new Error('digest mismatch');
}

const tarTimes = [];
const pullTimes = [];
for (let i = 0; i < runs; i++) {
  const dir = await mkdtemp(join(tmpdir(), 'tscr-test-bench-'));
  try {
    await mkdir(join(dir, 'x'));
    execFileSync('sync');
    let t = process.hrtime.bigint();
    execFileSync('tar', ['-C', join(dir, 'x'), '-xzf', file]);
    execFileSync('sync');
    tarTimes.push(Number(process.hrtime.bigint() - t) / 1e9);

    const svc = createLocalImageService({ root: join(dir, 'root') });
    await svc.list();
    execFileSync('sync');
    t = process.hrtime.bigint();
    await svc.writeBlob(desc, chunks());
    execFileSync('sync');
    pullTimes.push(Number(process.hrtime.bigint() - t) / 1e9);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
const tar = median(tarTimes);
const pull = median(pullTimes);
console.log(`layer ${(size / 1e6).toFixed(1)} MB gzip, ${runs} runs (medians, each followed by sync)`);
console.log(`tar -xzf        ${tar.toFixed(2)} s   [${tarTimes.map((x) => x.toFixed(2)).join(' ')}]`);
console.log(`writeBlob       ${pull.toFixed(2)} s   [${pullTimes.map((x) => x.toFixed(2)).join(' ')}]  (incl. sha256 of the compressed stream, blob file, diff ID)`);
console.log(`ratio           ${(pull / tar).toFixed(2)}x`);
