// Times a pull from a registry straight into a LocalImageService, in this process (no daemon, no
// gRPC, no CLI): registry-client's pull → writeBlob (tee to the blob store, gunzip, diff ID, unpack).
// Usage (root, after building @tscr/image and @tscr/registry-client):
//   node bench/image/pull-direct.mjs REF [runs]
// IMAGE_DIST=…/index.js times another @tscr/image build; PHASES=1 prints when each blob starts, gets its first
// and last chunk, and ends; TOPDIR=1 marks the store's tmp/ `chattr +T` before the service does (older builds).
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createRegistryClient } from '../../packages/registry-client/dist/index.js';

const { createLocalImageService } = await import(
  process.env.IMAGE_DIST ? pathToFileURL(process.env.IMAGE_DIST).href : '../../packages/image/dist/index.js'
);
const [ref, runsText = '3'] = process.argv.slice(2);
if (!ref) throw new Error('usage: pull-direct.mjs REF [runs]');
const times = [];
for (let i = 0; i < Number(runsText); i++) {
  const dir = await mkdtemp(join(tmpdir(), 'tscr-test-bench-'));
  try {
    if (process.env.TOPDIR) {
      await mkdir(join(dir, 'root', 'tmp'), { recursive: true });
      execFileSync('chattr', ['+T', join(dir, 'root', 'tmp')]);
    }
    const store = createLocalImageService({ root: join(dir, 'root') });
    await store.list();
    const t0 = performance.now();
    const ms = () => `${(performance.now() - t0).toFixed(0)}ms`;
    const timed = process.env.PHASES
      ? Object.assign(Object.create(store), {
          hasBlob: (...a) => store.hasBlob(...a),
          tag: (...a) => store.tag(...a),
          async writeBlob(desc, data, opts) {
            console.log(`  ${ms()} writeBlob ${desc.mediaType} ${desc.size}`);
            let first = true;
            async function* watch() {
              for await (const c of data) {
                if (first) console.log(`  ${ms()} first chunk`);
                first = false;
                yield c;
              }
              console.log(`  ${ms()} last chunk`);
            }
            await store.writeBlob(desc, watch(), opts);
            console.log(`  ${ms()} writeBlob done`);
          },
        })
      : store;
    const client = createRegistryClient({ store: timed });
    execFileSync('sync');
    const t = performance.now();
    const c = process.cpuUsage();
    for await (const _ of client.pull(ref)) {
      // progress is dropped
    }
    const u = process.cpuUsage(c);
    times.push((performance.now() - t) / 1000);
    console.log(`run ${i}: ${times.at(-1).toFixed(2)} s (cpu user ${(u.user / 1e6).toFixed(2)} s, sys ${(u.system / 1e6).toFixed(2)} s)`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
console.log(`median ${[...times].sort((a, b) => a - b)[Math.floor(times.length / 2)].toFixed(2)} s`);
