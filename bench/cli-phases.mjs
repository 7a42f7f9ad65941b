// Where a `tscr` run's wall-clock time goes, phase by phase: runs each bin N times (interleaved, after 2 warm-up
// runs each) with TSCR_STARTUP_TRACE=1 and prints a markdown table of each phase's median and minimum (ms since
// the phase before). The minimum is the figure least disturbed by a loaded machine. Each bin keeps its own code
// cache (a temporary XDG_CACHE_HOME), and runs without NODE_EXTRA_CA_CERTS, as its `sh` line would leave it.
// Usage: node bench/cli-phases.mjs [--runs N] [--bin NAME=PATH]... -- ARGS...
//   (default bin: this tree's packages/cli/dist/main.cjs; the daemon from TSCR_HOST or -H in ARGS)
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const argv = process.argv.slice(2);
const sep = argv.indexOf('--');
const opts = sep < 0 ? argv : argv.slice(0, sep);
const args = sep < 0 ? [] : argv.slice(sep + 1);
let runs = 20;
const bins = [];
for (let i = 0; i < opts.length; i++) {
  if (opts[i] === '--runs') runs = Number(opts[++i]);
  else if (opts[i] === '--bin') {
    const [name, ...path] = opts[++i].split('=');
    bins.push({ name, path: path.join('=') });
  } else throw new Error(`usage: node bench/cli-phases.mjs [--runs N] [--bin NAME=PATH]... -- ARGS...`);
}
if (bins.length === 0) bins.push({ name: 'this build', path: 'packages/cli/dist/main.cjs' });

const dir = mkdtempSync(join(tmpdir(), 'tscr-bench-phases-'));
const env = { ...process.env, TSCR_STARTUP_TRACE: '1' };
delete env.NODE_EXTRA_CA_CERTS;
/** Phase name → per bin, the deltas. Phases are named as the trace names them, the bundle's file name aside. */
const phases = new Map();
/** Per bin, the exit's time since the process started. */
const totals = bins.map(() => []);
/** Per bin, the time from the first client made to the command's end. */
const calls = bins.map(() => []);
try {
  for (let round = 0; round < runs + 2; round++) {
    for (const [k, bin] of bins.entries()) {
      const { stderr, error } = spawnSync(process.execPath, [bin.path, ...args], {
        env: { ...env, XDG_CACHE_HOME: join(dir, String(k)) },
        stdio: ['ignore', 'ignore', 'pipe'],
        encoding: 'utf8',
      });
      if (error || !stderr.includes('start-up trace')) throw error ?? new Error(`${bin.name}: no trace:\n${stderr}`);
      if (round < 2) continue;
      let inCall = false;
      let call = 0;
      for (const line of stderr.split('\n')) {
        const m = /^\s*([\d.]+) ms\s+\+\s*([\d.]+)\s+(.*)$/.exec(line);
        if (!m) continue;
        const name = m[3]
          .replace(/^(cli(-[a-z]+)?\.cjs|bundle) compiled \((.*)\)$/, 'bundle read and compiled ($3)')
          .replace(/^gRPC client made: .*$/, 'first gRPC client made');
        if (!phases.has(name))
          phases.set(
            name,
            bins.map(() => []),
          );
        phases.get(name)[k].push(Number(m[2]));
        if (name === 'exit') totals[k].push(Number(m[1]));
        // The call, from the first client to the command's end (whatever the wire marks in between).
        if (inCall) call += Number(m[2]);
        if (name === 'first gRPC client made') inCall = true;
        if (name === 'command done' && inCall) {
          calls[k].push(call);
          inCall = false;
        }
      }
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

const median = (v) => {
  const s = [...v].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const cell = (v) => (v.length ? `${median(v).toFixed(1)} (${Math.min(...v).toFixed(1)})` : '');
console.log(`\`tscr ${args.join(' ')}\`: median (min) of ${runs} runs, ms since the phase before`);
console.log('');
console.log(`| phase | ${bins.map((b) => b.name).join(' | ')} |`);
console.log(`|---|${bins.map(() => '---|').join('')}`);
for (const [name, per] of phases) console.log(`| ${name} | ${per.map(cell).join(' | ')} |`);
console.log(`| the call: first client made to command done | ${calls.map(cell).join(' | ')} |`);
console.log(`| **total, process start to exit** | ${totals.map(cell).join(' | ')} |`);
