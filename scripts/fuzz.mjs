#!/usr/bin/env node
// `npm run fuzz`: runs every fuzz property (packages/*/test/unit/fuzz-*.test.ts)
// longer than `npm test` does and with a random seed, then writes
// docs/reliability/fuzz.md from what the properties recorded.
//   FUZZ_RUNS  runs per property: `10x` (default) multiplies each property's own count, `N` sets it
//   FUZZ_SEED  one seed for every property (default: random; `fixed` = the per-property seeds of npm test)
//   FUZZ_DOC   where the report goes (default docs/reliability/fuzz.md; `-` prints it only)
// A failing property prints its seed and the command that replays it; the script exits 1.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const runs = process.env.FUZZ_RUNS || '10x';
const seedEnv = process.env.FUZZ_SEED || String(Math.floor(Math.random() * 2 ** 31));
const fixed = seedEnv === 'fixed';
const doc = process.env.FUZZ_DOC ?? join(root, 'docs/reliability/fuzz.md');

const files = readdirSync(join(root, 'packages')).flatMap((pkg) => {
  const dir = join(root, 'packages', pkg, 'test/unit');
  try {
    return readdirSync(dir)
      .filter((f) => /^fuzz-.*\.test\.ts$/.test(f))
      .map((f) => `packages/${pkg}/test/unit/${f}`);
  } catch {
    return [];
  }
});

const work = mkdtempSync(join(tmpdir(), 'tscr-test-fuzz-'));
const report = join(work, 'report.jsonl');
writeFileSync(report, '');
const env = { ...process.env, FUZZ_RUNS: runs, FUZZ_REPORT: report };
if (fixed) delete env.FUZZ_SEED;
else env.FUZZ_SEED = seedEnv;
console.log(`fuzz: ${files.length} files, runs ${runs}, seed ${fixed ? 'fixed (per property)' : seedEnv}`);
const started = Date.now();
const vitest = spawnSync('npx', ['vitest', 'run', '--project', 'unit', '--testTimeout', '600000', ...files], {
  cwd: root,
  env,
  encoding: 'utf8',
  maxBuffer: 64 << 20,
});
const seconds = Math.round((Date.now() - started) / 1000);
const output = `${vitest.stdout}${vitest.stderr}`;
process.stdout.write(output);
const lines = readFileSync(report, 'utf8')
  .split('\n')
  .filter(Boolean)
  .map((l) => JSON.parse(l));
rmSync(work, { recursive: true, force: true });

const properties = lines.filter((l) => !l.regression);
const regressions = lines.filter((l) => l.regression);
const failures = output
  .split('\n')
  .filter((l) => l.startsWith('FUZZ FAILURE') || l.trim().startsWith('replay: FUZZ_SEED'))
  .map((l) => l.trim());
const byKind = new Map();
for (const p of properties) {
  const k = byKind.get(p.kind) ?? { properties: 0, inputs: 0, failed: 0 };
  k.properties++;
  k.inputs += p.runs;
  if (!p.ok) k.failed++;
  byKind.set(p.kind, k);
}
const total = properties.reduce((n, p) => n + p.runs, 0);
const md = [
  '# Fuzzing: hostile and malformed input',
  '',
  '<!-- Written by scripts/fuzz.mjs (`npm run fuzz`); do not edit by hand. -->',
  '',
  'Property-based fuzzers (fast-check) feed every parser that takes outside input with generated and',
  'mutated input; each must answer with a clear error of a stable code (InvalidArgument, or the',
  'documented code of that API, 4xx over HTTP), never a crash, a write outside its root, a hang or',
  'unbounded memory. `npm test` runs them with fixed seeds; `npm run fuzz` runs them longer with a',
  'random seed (`FUZZ_RUNS=20x FUZZ_SEED=123 npm run fuzz` to choose) and prints the command that replays',
  'a failure (`FUZZ_SEED=… FUZZ_PATH=… npx vitest run …`).',
  '',
  `Last run: ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, runs \`${runs}\`, seed ${fixed ? 'fixed per property' : `\`${seedEnv}\``}, ${seconds} s, ${total} inputs, ${failures.length === 0 && vitest.status === 0 ? 'no failure' : `**FAILED** (exit ${vitest.status})`}.`,
  '',
  '| input | properties | inputs tried | failed |',
  '|---|---:|---:|---:|',
  ...[...byKind].map(([kind, k]) => `| ${kind} | ${k.properties} | ${k.inputs} | ${k.failed} |`),
  '',
  '## Properties',
  '',
  '| property | input | inputs | seed | result |',
  '|---|---|---:|---:|---|',
  ...properties.map((p) => `| ${p.name} | ${p.kind} | ${p.runs} | ${p.seed} | ${p.ok ? 'ok' : '**failed**'} |`),
  '',
  '## Found by the fuzzers and fixed',
  '',
  'Each is kept as a regression test next to its fuzzer (the `regression` cases of the `fuzz-*.test.ts` files).',
  '',
  ...regressions.map((r) => `- **${r.kind}**: ${r.found}`),
  '',
  ...(failures.length ? ['## Failures of this run', '', '```', ...failures, '```', ''] : []),
].join('\n');
if (doc === '-') console.log(md);
else {
  writeFileSync(doc, md);
  console.log(`fuzz: wrote ${doc}`);
}
if (failures.length) console.log(`fuzz: ${failures.length / 2} failing properties; replay with the commands above`);
process.exit(vitest.status === 0 ? 0 : 1);
