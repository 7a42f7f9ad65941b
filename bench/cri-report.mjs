// Table of `critest --benchmark` results: median and mean latency per operation for tscr and containerd, and their ratio.
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
const median = (xs) => {
  if (!xs.length) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const ratio = (a, b) => (Number.isNaN(a) || Number.isNaN(b) ? 'n/a' : `${(a / b).toFixed(2)}x`);
const fmt = (ms) => (Number.isNaN(ms) ? 'n/a' : ms < 10 ? ms.toFixed(2) : ms.toFixed(1));
const [tscrDir, ctrdDir] = process.argv.slice(2);
const tscr = read(tscrDir);
const ctrd = read(ctrdDir);
const names = [...new Set([...tscr.keys(), ...ctrd.keys()])];
console.log(
  '| operation | tscr median (ms) | containerd 1.6 median (ms) | ratio | tscr mean (ms) | containerd mean (ms) | ratio | samples |',
);
console.log('|---|---:|---:|---:|---:|---:|---:|---:|');
for (const name of names) {
  const a = tscr.get(name) ?? [];
  const b = ctrd.get(name) ?? [];
  const [ma, mb, ea, eb] = [median(a), median(b), mean(a), mean(b)];
  console.log(
    `| ${name} | ${fmt(ma)} | ${fmt(mb)} | ${ratio(ma, mb)} | ${fmt(ea)} | ${fmt(eb)} | ${ratio(ea, eb)} | ${a.length}/${b.length} |`,
  );
}
