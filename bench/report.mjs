// Turns the run's hyperfine JSON files into one markdown table with ratios.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.argv[2];
const rows = [
  ['runc', 'raw `runc run` (bundle, `true`)'],
  ['crun', 'raw `crun run` (bundle, `true`)'],
  ['tscr-api', 'tscr API: create/attach/start/wait/remove (warm gRPC client)'],
  ['tscr-cli', '`tscr run --rm IMG true` (CLI start to exit)'],
  ['podman-runc', '`podman run --rm --runtime runc --network none IMG true`'],
  ['podman-crun', '`podman run --rm --network none IMG true` (crun)'],
];
const res = {};
for (const [k] of rows) {
  const f = join(dir, `${k}.json`);
  if (existsSync(f)) res[k] = JSON.parse(readFileSync(f, 'utf8')).results[0];
}
const ms = (s) => (s * 1000).toFixed(1);
const ratio = (a, b) => (res[a] && res[b] ? `${(res[a].median / res[b].median).toFixed(2)}×` : '–');
console.log('| what | median ms (min–max) | n | vs runc | vs podman (runc) |');
console.log('|---|---|---|---|---|');
for (const [k, label] of rows) {
  const r = res[k];
  if (!r) {
    console.log(`| ${label} | failed or not installed | – | – | – |`);
    continue;
  }
  const n = r.times?.length ?? '?';
  console.log(
    `| ${label} | ${ms(r.median)} (${ms(r.min)}–${ms(r.max)}) | ${n} | ${ratio(k, 'runc')} | ${ratio(k, 'podman-runc')} |`,
  );
}
console.log('\nGoals: API path ≤ 1.5× raw runc; CLI path ≤ podman.');
