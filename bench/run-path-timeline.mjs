// The run path on one clock: the client's calls, the daemon's steps (TSCR_TRACE) and the kernel's process events
// (perf's sched_process_fork/exec/exit: the relay's fork of conmon, conmon's exec, runc's, runc init's, the
// command's, their exits), so the milliseconds outside the daemon — conmon, `runc create`, the container's
// teardown — are named too. Two modes:
//   node bench/run-path-timeline.mjs client <runs> <image> <out.json>   the API loop (run it under `perf record
//       -k CLOCK_MONOTONIC -a -e sched:sched_process_fork,sched:sched_process_exec,sched:sched_process_exit`)
//   node bench/run-path-timeline.mjs report <client.json> <perf script output> <daemon trace.jsonl> <relay pid>
// Prints a Markdown table of medians, in ms from the start of each run. Needs root (perf -a).
import { readFileSync, writeFileSync } from 'node:fs';

const [mode, ...args] = process.argv.slice(2);
const now = () => process.hrtime.bigint(); // CLOCK_MONOTONIC, as perf's -k CLOCK_MONOTONIC
const med = (xs) => {
  const a = xs.filter((x) => x !== undefined).sort((x, y) => x - y);
  return a.length ? a[a.length >> 1] : undefined;
};

if (mode === 'client') {
  const [runs, image, out] = args;
  const { GrpcContainerService } = await import('@tscr/container/grpc');
  const { runOnce } = await import('./api-run.mjs');
  const containers = new GrpcContainerService(process.env.TSCR_HOST);
  const once = async () => {
    const m = { t0: now() };
    await runOnce(containers, image, (step, id) => {
      m.id = id;
      if (step !== 'attached') m[step] = now();
    });
    return m;
  };
  for (let i = 0; i < 2; i++) await once(); // warm-up
  const rows = [];
  for (let i = 0; i < Number(runs); i++) rows.push(await once());
  writeFileSync(
    out,
    JSON.stringify(rows, (_, v) => (typeof v === 'bigint' ? String(v) : v)),
  );
  containers.close?.();
} else if (mode === 'report') {
  const [clientFile, perfFile, traceFile, relayPid] = args;
  const runs = JSON.parse(readFileSync(clientFile, 'utf8'));
  // perf script -F comm,pid,time,event,trace --ns: "comm pid secs.ns: sched:event: fields"
  const events = [];
  for (const line of readFileSync(perfFile, 'utf8').split('\n')) {
    const m = /^\s*(.+?)\s+(\d+)\s+([\d.]+):\s+sched:(\w+):\s+(.*)$/.exec(line);
    if (m) events.push({ ms: Number(m[3]) * 1000, comm: m[1], pid: Number(m[2]), kind: m[4], rest: m[5] });
  }
  const parent = new Map();
  for (const e of events) {
    if (e.kind === 'sched_process_fork') parent.set(Number(/child_pid=(\d+)/.exec(e.rest)[1]), e.pid);
  }
  const relay = Number(relayPid);
  const underRelay = (pid) => {
    for (let p = pid, hops = 0; p !== undefined && hops < 30; p = parent.get(p), hops++) if (p === relay) return true;
    return false;
  };
  const mine = events.filter((e) => underRelay(e.pid));
  const spans = readFileSync(traceFile, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));
  // The daemon's trace clock (performance.now) is aligned on the relay's fork of each conmon, which
  // `runtime.create.monitor` starts a few microseconds before.
  const offsets = [];
  for (const r of runs) {
    const t0 = Number(BigInt(r.t0) / 1000n) / 1000;
    const fork = mine.find((e) => e.kind === 'sched_process_fork' && e.pid === relay && e.ms >= t0);
    const mon = spans.find((s) => s.id === r.id && s.step === 'runtime.create.monitor');
    if (fork && mon) offsets.push(fork.ms - (mon.at - mon.ms));
  }
  const offset = med(offsets);
  const rows = runs.map((r) => {
    const ms = (v) => Number(BigInt(v) / 1000n) / 1000;
    const t0 = ms(r.t0);
    const end = ms(r.removed);
    const own = mine.filter((e) => e.ms >= t0 && e.ms <= end);
    const first = (pred) => own.find(pred)?.ms;
    const exec = (name) => first((e) => e.kind === 'sched_process_exec' && e.rest.includes(`filename=${name}`));
    const exit = (comm) => first((e) => e.kind === 'sched_process_exit' && e.comm === comm);
    const step = (name, end = true) => {
      const s = spans.find((x) => x.id === r.id && x.step === name);
      return s && offset !== undefined ? s.at - (end ? 0 : s.ms) + offset : undefined;
    };
    const rel = (v) => (v === undefined ? undefined : v - t0);
    return {
      'create answered (client)': rel(ms(r.created)),
      'daemon: container.start begins': rel(step('container.start', false)),
      'daemon: runtime.create.monitor begins': rel(step('runtime.create.monitor', false)),
      'relay forks conmon': rel(first((e) => e.kind === 'sched_process_fork' && e.pid === relay)),
      'conmon execs': rel(exec('/usr/bin/conmon')),
      // From the relay's sealed copy of runc (/proc/<relay>/fd/<fd>), runc create is named after the fd: a number.
      'runc execs (`runc create`)': rel(
        exec('/usr/sbin/runc') ??
          first((e) => e.kind === 'sched_process_exec' && /filename=\/proc\/\d+\/fd\/\d+ /.test(e.rest)),
      ),
      'runc init execs': rel(exec('/proc/self/exe')),
      '`runc create` exits': rel(
        first((e) => e.kind === 'sched_process_exit' && (e.comm === 'runc' || /^\d+$/.test(e.comm))),
      ),
      'daemon: sync line read (monitor step ends)': rel(step('runtime.create.monitor')),
      'the command execs (fifo released)': rel(exec('/bin/true') ?? exec('/usr/bin/true')),
      'start answered (client)': rel(ms(r.started)),
      'the command exits': rel(exit('true')),
      'daemon: exit noticed (conmon wrote the exit file)': rel(step('container.exit', false)),
      'conmon exits': rel(own.filter((e) => e.kind === 'sched_process_exit' && e.comm === 'conmon').at(-1)?.ms),
      'wait answered (client)': rel(ms(r.waited)),
      'attach ended (client)': rel(ms(r.drained)),
      'daemon: container.remove begins': rel(step('container.remove', false)),
      'daemon: container.remove ends': rel(step('container.remove')),
      'remove answered (client)': rel(end),
    };
  });
  console.log(
    `\n| run path on one clock (${rows.length} runs; perf sched events + daemon trace + client) | median ms from the create call | since the line above |`,
  );
  console.log('|---|---|---|');
  const medians = Object.keys(rows[0] ?? {})
    .map((key) => [key, med(rows.map((r) => r[key]))])
    .filter(([, v]) => v !== undefined)
    .sort((a, b) => a[1] - b[1]);
  let prev = 0;
  for (const [key, v] of medians) {
    console.log(`| ${key} | ${v.toFixed(2)} | ${(v - prev).toFixed(2)} |`);
    prev = v;
  }
} else {
  console.error(
    'usage: run-path-timeline.mjs client <runs> <image> <out.json> | report <client.json> <perf.txt> <trace.jsonl> <relay pid>',
  );
  process.exit(2);
}
