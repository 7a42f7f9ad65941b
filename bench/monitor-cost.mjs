// What the monitor step costs beyond the OCI runtime: `runc create` on a bundle started directly, against
// conmon running that same `runc create` (tscr's own arguments, from its cwd, its sync pipe on fd 3), interleaved, each
// container deleted before the next. Prints a Markdown table of medians.
// Usage: node bench/monitor-cost.mjs <bundle> <runc root> <scratch dir> [runs]
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { benchConmonArgs } from './conmon-args.mjs';

const [bundle, root, scratch, runsArg] = process.argv.slice(2);
const runs = Number(runsArg ?? 10);
for (const d of ['exits', 'sockets']) mkdirSync(join(scratch, d), { recursive: true });
const pidFile = join(bundle, 'pidfile');

/** Resolves when `child` has exited (direct) or written its first fd-3 line (conmon), in ms. */
function timed(file, args, viaPipe) {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      stdio: ['ignore', 'ignore', 'ignore', ...(viaPipe ? ['pipe'] : [])],
      env: { PATH: process.env.PATH, ...(viaPipe ? { _OCI_SYNCPIPE: '3' } : {}) },
      detached: viaPipe,
      ...(viaPipe ? { cwd: bundle } : {}),
    });
    child.once('error', reject);
    if (!viaPipe) {
      child.once('exit', (code) => (code === 0 ? resolve(performance.now() - t0) : reject(new Error(`runc ${code}`))));
      return;
    }
    let text = '';
    child.stdio[3].on('data', (b) => {
      text += b;
      if (!text.includes('\n')) return;
      const ms = performance.now() - t0;
      child.stdio[3].destroy();
      JSON.parse(text).data > 0 ? resolve(ms) : reject(new Error(text));
    });
  });
}

const runcArgs = (id) => ['--root', root, 'create', '--bundle', bundle, '--pid-file', pidFile, id];
// `runc run` timed the same way (spawned from this process, until it exits): the comparison for `runc create`.
const runArgs = (id) => ['--root', root, 'run', '--bundle', bundle, id];
// Exactly the arguments tscr gives conmon through the relay (packages/runtime/src/local/conmon.ts: `--sync`, the
// process started is the monitor), started in the bundle as tscr does.
const conmonArgs = (id) => benchConmonArgs({ id, bundle, root, scratch, sync: true });
const times = { run: [], runc: [], conmon: [] };
for (let i = 0; i < runs + 1; i++) {
  for (const kind of ['run', 'runc', 'conmon']) {
    const id = `bench-mc-${process.pid}-${kind}-${i}`;
    const ms =
      kind === 'conmon'
        ? await timed('conmon', conmonArgs(id), true)
        : await timed('runc', kind === 'run' ? runArgs(id) : runcArgs(id), false);
    if (i > 0) times[kind].push(ms); // the first round warms the caches
    spawnSync('runc', ['--root', root, 'delete', '-f', id], { stdio: 'ignore' });
  }
}
const med = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const r = med(times.runc);
const c = med(times.conmon);
console.log(`\n| monitor step alone, equivalent bundle (${runs} runs each, interleaved) | median ms |\n|---|---|`);
console.log(`| \`runc run\` (\`true\`) started the same way, for comparison | ${med(times.run).toFixed(1)} |`);
console.log(`| \`runc create\` started directly (until it exits) | ${r.toFixed(1)} |`);
console.log(`| conmon → \`runc create\` → sync pipe (tscr's arguments) | ${c.toFixed(1)} |`);
console.log(`| conmon's own cost | ${(c - r).toFixed(1)} |`);
