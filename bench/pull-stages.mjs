// Where a pull's time goes: each stage of tscr's layer ingest timed alone on the bench layer (in the page
// cache, no network), wall and CPU (user+sys of this process and its threads), median of N runs.
// Usage: node bench/pull-stages.mjs WORK [RUNS]   (WORK as made by bench/pull-image.mjs: layer.tar, layer.tar.gz)
// Needs the built packages (npm run build). Each stage that writes files writes under WORK/stage-*, removed after.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, readFileSync, rmSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Writable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { Parser } from 'tar';
import { createLocalImageService, unpackLayer } from '@tscr/image/local';
import { verifyStream } from '@tscr/registry-client';

const [work, runsArg = '3'] = process.argv.slice(2);
const runs = Number(runsArg);
const gz = join(work, 'layer.tar.gz');
const tar = join(work, 'layer.tar');
const MiB = 1 << 20;
const read = (file) => createReadStream(file, { highWaterMark: MiB });
const sink = () => new Writable({ write: (_c, _e, cb) => cb() });
const fresh = (name) => {
  const dir = join(work, `stage-${name}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  return dir;
};
const sync = () => execFileSync('sync');
const digestOf = (file) => `sha256:${createHash('sha256').update(readFileSync(file)).digest('hex')}`;
const layerDesc = {
  mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
  digest: digestOf(gz),
  size: statSync(gz).size,
};

const stages = [
  ['read the gzip blob', async () => pipeline(read(gz), sink())],
  [
    'sha256 of the gzip blob',
    async () => {
      const h = createHash('sha256');
      for await (const c of read(gz)) h.update(c);
      h.digest();
    },
  ],
  ['gunzip (node zlib, 1 MiB chunks)', async () => pipeline(read(gz), createGunzip({ chunkSize: MiB }), sink())],
  ['gunzip (`gzip -dc`, a child)', async () => execFileSync('sh', ['-c', `gzip -dc "${gz}" >/dev/null`])],
  [
    'sha256 of the tar (diff ID)',
    async () => {
      const h = createHash('sha256');
      for await (const c of read(tar)) h.update(c);
      h.digest();
    },
  ],
  [
    'tar parsing (node-tar Parser, bodies skipped)',
    async () => {
      const p = new Parser({ strict: true });
      p.on('entry', (e) => e.resume());
      await pipeline(read(tar), p);
    },
  ],
  ['unpack of the tar (tscr unpackLayer)', async (dir) => unpackLayer(tar, dir), 'unpack'],
  ['unpack of the tar (`tar -xf`)', async (dir) => execFileSync('tar', ['-xf', tar, '-C', dir]), 'tarx'],
  [
    'whole ingest, no network (verify, gunzip, diff ID, unpack in a worker thread, blob file)',
    async (dir) => {
      const svc = createLocalImageService({ root: dir });
      await svc.writeBlob(layerDesc, verifyStream(read(gz), layerDesc, 'bench'));
    },
    'ingest',
  ],
  [
    'whole ingest, the unpack in the main thread (as before the worker)',
    async (dir) => {
      const svc = createLocalImageService({ root: dir, unpackWorkerMinBytes: Number.POSITIVE_INFINITY });
      await svc.writeBlob(layerDesc, verifyStream(read(gz), layerDesc, 'bench'));
    },
    'ingest',
  ],
  ['`tar -xzf` of the blob', async (dir) => execFileSync('tar', ['-xzf', gz, '-C', dir]), 'tarxz'],
];

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log('| stage | wall ms (median) | CPU ms of this process (median) |');
console.log('|---|---|---|');
for (const [name, fn, dirName] of stages) {
  const wall = [];
  const cpu = [];
  for (let i = 0; i < runs; i++) {
    const dir = dirName ? fresh(dirName) : undefined;
    if (dir) sync();
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await fn(dir);
    wall.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
  const c = name.includes('`') ? '– (a child)' : median(cpu).toFixed(0);
  console.log(`| ${name} | ${median(wall).toFixed(0)} | ${c} |`);
}
