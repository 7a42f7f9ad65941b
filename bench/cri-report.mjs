// Table of `critest --benchmark` results: mean latency per operation for tscr and containerd, and their ratio.
// Usage: node bench/cri-report.mjs TSCR_DIR CONTAINERD_DIR (each holding critest's *_benchmark_data.json)
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Operation name → durations (ms) from every *_benchmark_data.json of `dir`. */
function read(dir) {
  const ops = new Map();
  let files = [];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith('.json'));
  } catch {
    return ops;
  }
  for (const f of files) {
    const set = JSON.parse(readFileSync(join(dir, f), 'utf8'));
    for (const [i, name] of (set.operationsNames ?? []).entries()) {
      const list = ops.get(name) ?? [];
      for (const d of set.datapoints ?? []) {
        const ns = d.operationsDurationsNs?.[i];
        if (typeof ns === 'number' && ns > 0) list.push(ns / 1e6);
      }
      ops.set(name, list);
    }
  }
  return ops;
}

const mean = (xs) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : Number.NaN);
const fmt = (ms) => (Number.isNaN(ms) ? 'n/a' : ms < 10 ? ms.toFixed(2) : ms.toFixed(1));
const [tscrDir, ctrdDir] = process.argv.slice(2);
const tscr = read(tscrDir);
const ctrd = read(ctrdDir);
const names = [...new Set([...tscr.keys(), ...ctrd.keys()])];
console.log('| operation | tscr mean (ms) | containerd 1.6 mean (ms) | tscr / containerd | samples |');
console.log('|---|---:|---:|---:|---:|');
for (const name of names) {
  const a = mean(tscr.get(name) ?? []);
  const b = mean(ctrd.get(name) ?? []);
  const ratio = Number.isNaN(a) || Number.isNaN(b) ? 'n/a' : `${(a / b).toFixed(2)}x`;
  console.log(
    `| ${name} | ${fmt(a)} | ${fmt(b)} | ${ratio} | ${(tscr.get(name) ?? []).length}/${(ctrd.get(name) ?? []).length} |`,
  );
}
