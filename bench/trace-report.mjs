// Turns a daemon trace (TSCR_TRACE JSON lines: {step, id, ms, at}) into a markdown table: per step, the
// median over containers of the time spent in it per container (a step a container passes twice is summed),
// and how often it ran per container. Steps are nested by name (`container.start` holds `container.start.*`).
// Usage: node bench/trace-report.mjs TRACE_FILE [CALLS_JSON]
import { readFileSync } from 'node:fs';

const [file, callsFile] = process.argv.slice(2);
const spans = readFileSync(file, 'utf8')
  .split('\n')
  .filter(Boolean)
  .map((l) => JSON.parse(l));
const ids = new Set(spans.filter((s) => s.step === 'container.create').map((s) => s.id));
const perStep = new Map(); // step -> Map(id -> {ms, n})
for (const s of spans) {
  if (s.id && !ids.has(s.id)) continue;
  const byId = perStep.get(s.step) ?? new Map();
  perStep.set(s.step, byId);
  const key = s.id || `anon${byId.size}`;
  const cur = byId.get(key) ?? { ms: 0, n: 0 };
  cur.ms += s.ms;
  cur.n += 1;
  byId.set(key, cur);
}
const median = (xs) => {
  const a = [...xs].sort((x, y) => x - y);
  return a.length ? (a.length % 2 ? a[(a.length - 1) / 2] : (a[a.length / 2 - 1] + a[a.length / 2]) / 2) : 0;
};
if (callsFile) {
  const calls = JSON.parse(readFileSync(callsFile, 'utf8'));
  console.log('| API call (client side, warm gRPC client) | median ms |');
  console.log('|---|---|');
  for (const [k, v] of Object.entries(calls)) console.log(`| ${k} | ${v.toFixed(2)} |`);
  console.log(
    `| sum | ${Object.values(calls)
      .reduce((a, b) => a + b, 0)
      .toFixed(2)} |`,
  );
  console.log();
}
console.log(`| daemon step (${ids.size} containers) | median ms per container | times per container |`);
console.log('|---|---|---|');
for (const step of [...perStep.keys()].sort()) {
  const v = [...perStep.get(step).values()];
  const depth = step.split('.').length - 2;
  const label = `${'&nbsp;&nbsp;'.repeat(Math.max(0, depth))}${step}`;
  console.log(
    `| ${label} | ${median(v.map((x) => x.ms)).toFixed(2)} | ${(v.reduce((a, x) => a + x.n, 0) / v.length).toFixed(1)} |`,
  );
}
