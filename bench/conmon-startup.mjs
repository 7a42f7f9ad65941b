// conmon's start-up before it runs the OCI runtime, on the kernel's clock: from the exec of conmon to the exec of
// `runc create` (sched_process_exec/fork events, `perf record -a`), for conmon as tscr starts it through the relay
// (`--sync`: the process started is the monitor) and as it starts it without the relay (conmon's double fork),
// interleaved on the same bundle, each container deleted before the next. Also split: exec → the first fork
// (loading glib/libsystemd…, option parsing), → the fork of the runtime (double fork: the monitor's set-up in the
// second process; the attach socket, ctl/winsz fifos), → the runtime's exec. Prints a Markdown table of medians.
// Needs root and perf. Usage: node bench/conmon-startup.mjs <bundle> <runc root> <scratch dir> [runs]
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { benchConmonArgs } from './conmon-args.mjs';

const [bundle, root, scratch, runsArg] = process.argv.slice(2);
const runs = Number(runsArg ?? 15);
for (const d of ['exits', 'sockets']) mkdirSync(join(scratch, d), { recursive: true });
const data = join(scratch, 'conmon-startup.perf');
const perf = spawn(
  'perf',
  ['record', '-q', '-a', '-e', 'sched:sched_process_exec', '-e', 'sched:sched_process_fork', '-o', data],
  {
    stdio: 'ignore',
  },
);
await sleep(800);

/** Starts conmon as tscr does (its arguments, cwd, sync pipe on fd 3); resolves with its PID once it has reported. */
function start(id, sync) {
  const args = benchConmonArgs({ id, bundle, root, scratch, sync });
  return new Promise((resolve, reject) => {
    const child = spawn('conmon', args, {
      stdio: ['ignore', 'ignore', 'ignore', 'pipe'],
      env: { PATH: process.env.PATH, _OCI_SYNCPIPE: '3' },
      detached: true,
      cwd: bundle,
    });
    child.once('error', reject);
    let text = '';
    child.stdio[3].on('data', (b) => {
      text += b;
      if (!text.includes('\n')) return;
      child.stdio[3].destroy();
      child.unref();
      JSON.parse(text).data > 0 ? resolve(child.pid) : reject(new Error(text));
    });
  });
}

const pids = { double: [], sync: [] };
for (let i = 0; i < runs + 1; i++) {
  for (const kind of i % 2 ? ['sync', 'double'] : ['double', 'sync']) {
    const id = `bench-cs-${process.pid}-${kind}-${i}`;
    const pid = await start(id, kind === 'sync');
    if (i > 0) pids[kind].push(pid); // the first round warms the caches
    spawnSync('runc', ['--root', root, 'delete', '-f', id], { stdio: 'ignore' });
  }
}
await sleep(300);
perf.kill('SIGINT');
await new Promise((resolve) => perf.once('exit', resolve));
const text = spawnSync('perf', ['script', '-i', data, '-F', 'pid,time,event,trace'], {
  encoding: 'utf8',
  maxBuffer: 1 << 28,
}).stdout;
const execs = new Map();
const forks = new Map();
for (const line of text.split('\n')) {
  const m = /^\s*(\d+)\s+([\d.]+):\s+(\S+):\s+(.*)$/.exec(line);
  if (!m) continue;
  const [pid, ms] = [Number(m[1]), Number(m[2]) * 1000];
  if (m[3].endsWith('exec')) execs.has(pid) || execs.set(pid, ms);
  else {
    const child = Number(/child_pid=(\d+)/.exec(m[4])?.[1]);
    if (!forks.has(pid)) forks.set(pid, []);
    forks.get(pid).push({ ms, child });
  }
}
/** [exec → first fork, first fork → runtime fork, runtime fork → runtime exec, exec → runtime exec] of one start. */
function phases(pid, sync) {
  const t0 = execs.get(pid);
  const f1 = forks.get(pid)?.[0];
  const f2 = sync ? f1 : forks.get(f1?.child)?.[0];
  const t3 = execs.get(f2?.child);
  if (t0 === undefined || !f1 || !f2 || t3 === undefined) return undefined;
  return [f1.ms - t0, f2.ms - f1.ms, t3 - f2.ms, t3 - t0];
}
const med = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const rows = Object.fromEntries(
  Object.entries(pids).map(([kind, list]) => {
    const got = list.map((p) => phases(p, kind === 'sync')).filter(Boolean);
    return [kind, { n: got.length, cols: [0, 1, 2, 3].map((c) => med(got.map((r) => r[c]))) }];
  }),
);
const f = (x) => (x === undefined ? '–' : x.toFixed(2));
console.log(
  `\n| conmon start-up, exec → \`runc create\` exec (${runs} runs each, interleaved) | runs seen | exec → 1st fork | → runtime fork | → runtime exec | total |`,
);
console.log('|---|---|---|---|---|---|');
const d = rows.double.cols;
console.log(
  `| double fork (no relay, conmon's default) | ${rows.double.n} | ${f(d[0])} | ${f(d[1])} | ${f(d[2])} | ${f(d[3])} |`,
);
const s = rows.sync.cols;
console.log(
  `| \`--sync\` (through the relay) | ${rows.sync.n} | ${f(s[0])} (the runtime fork) | – | ${f(s[2])} | ${f(s[3])} |`,
);
