// The layer ingest (verify the blob's digest, gunzip, diff ID, unpack, blob file: what a pull does after the
// network) with the unpack in this thread and in a worker thread, alternating pair by pair, so load drifting on a
// shared machine hits both alike. Each ingest goes into a store of its own under DEST (default WORK), removed
// after it; DEST on a tmpfs (/dev/shm) takes the filesystem's inode allocation out of the picture.
// Wall and CPU (user+sys of this process, its threads included) per ingest, then the medians.
// Usage: node bench/pull-ab.mjs WORK [RUNS] [DEST]   (WORK as made by bench/pull-image.mjs; needs npm run build)
import { createHash } from 'node:crypto';
import { createReadStream, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createLocalImageService } from '@tscr/image/local';
import { verifyStream } from '@tscr/registry-client';

const [work, runs = '4', dest = work] = process.argv.slice(2);
const gz = join(work, 'layer.tar.gz');
const desc = {
  mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
  digest: `sha256:${createHash('sha256').update(readFileSync(gz)).digest('hex')}`,
  size: statSync(gz).size,
};
const rows = { thread: [], worker: [] };
for (let i = 0; i < Number(runs); i++) {
  for (const k of i % 2 ? ['worker', 'thread'] : ['thread', 'worker']) {
    const root = join(dest, `pull-ab-${process.pid}-${i}-${k}`);
    const svc = createLocalImageService({ root, unpackWorkerMinBytes: k === 'worker' ? 0 : Infinity });
    await svc.list();
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    // Network-sized pieces, as the registry client hands them over.
    await svc.writeBlob(desc, verifyStream(createReadStream(gz, { highWaterMark: 64 << 10 }), desc, 'bench'));
    const c = process.cpuUsage(c0);
    rows[k].push({ wall: performance.now() - t0, cpu: (c.user + c.system) / 1000, sys: c.system / 1000 });
    rmSync(root, { recursive: true, force: true });
  }
}
const med = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log('| unpack | wall ms per ingest | CPU ms (sys) per ingest | median wall | median CPU |');
console.log('|---|---|---|---|---|');
for (const [k, label] of [
  ['thread', 'in the main thread'],
  ['worker', 'in a worker thread'],
]) {
  const r = rows[k];
  const walls = r.map((x) => x.wall.toFixed(0)).join(', ');
  const cpus = r.map((x) => `${x.cpu.toFixed(0)} (${x.sys.toFixed(0)})`).join(', ');
  console.log(
    `| ${label} | ${walls} | ${cpus} | ${med(r.map((x) => x.wall)).toFixed(0)} | ${med(r.map((x) => x.cpu)).toFixed(0)} |`,
  );
}
