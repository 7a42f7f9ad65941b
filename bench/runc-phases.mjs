// runc's own phases on the run path, under tscr and raw, on one clock: where `runc create` (run by conmon for a
// tscr container) and a raw `runc run` on the equivalent bundle spend their time, from the kernel's events
// (perf: process fork/exec/exit, cgroup mkdir/attach/rmdir, and runc's mount, pivot_root, seccomp and write
// system calls). Three kinds of run alternate, in a rotating order, so the machine's load hits all alike:
//   api     create/attach/start/wait/remove through the gRPC API (conmon → `runc create`, the daemon's fifo release)
//   run     `runc --root R run --bundle E ID` spawned from this process (what hyperfine times)
//   create  `runc --root R --log-format json create --bundle E --pid-file …` as conmon runs it, the exec fifo
//           released from here as the daemon does, the init's end waited for (no conmon, no daemon)
// Two modes:
//   node bench/runc-phases.mjs client <rounds> <image> <bundle E> <runc root> <out.json>   (under `perf record`, see
//     bench/run-path.sh, which runs it with --phases N)
//   node bench/runc-phases.mjs report <client.json> <perf script output>
// Prints a Markdown table: per kind, the median ms of each span of runc's path. TSCR_BENCH_PAUSE_MS: the pause
// between runs (default 30). Needs root.
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, openSync, readFileSync, readSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const [mode, ...args] = process.argv.slice(2);
const now = () => process.hrtime.bigint(); // CLOCK_MONOTONIC, as perf's -k CLOCK_MONOTONIC
const med = (xs) => {
  const a = xs.filter((x) => x !== undefined && !Number.isNaN(x)).sort((x, y) => x - y);
  return a.length ? a[a.length >> 1] : undefined;
};
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Resolves with the exit code of `file args` (stdio ignored, as hyperfine's default). */
function exited(file, argv, stdio = 'ignore') {
  return new Promise((resolve, reject) => {
    const child = spawn(file, argv, { stdio });
    child.once('error', reject);
    child.once('exit', (code) => resolve(code));
  });
}

/** True while `pid` exists and is not a zombie. */
function alive(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

if (mode === 'client') {
  const [rounds, image, bundle, root, out] = args;
  const { GrpcContainerService } = await import('@tscr/container/grpc');
  const { runOnce } = await import('./api-run.mjs');
  const containers = new GrpcContainerService(process.env.TSCR_HOST);
  const kinds = {
    async api() {
      await runOnce(containers, image);
    },
    async run(id) {
      const code = await exited('runc', ['--root', root, 'run', '--bundle', bundle, id]);
      if (code !== 0) throw new Error(`runc run: ${code}`);
    },
    async create(id) {
      // conmon's way: stdio on pipes, `--log-format json`, a pid file; then the daemon's release of the exec fifo.
      const pidFile = join(bundle, 'pidfile');
      const code = await exited(
        'runc',
        ['--root', root, '--log-format', 'json', 'create', '--bundle', bundle, '--pid-file', pidFile, id],
        ['ignore', 'pipe', 'pipe'],
      );
      if (code !== 0) throw new Error(`runc create: ${code}`);
      const pid = Number(readFileSync(pidFile, 'utf8'));
      const fd = openSync(join(root, id, 'exec.fifo'), 'r');
      readSync(fd, Buffer.alloc(1));
      closeSync(fd);
      while (alive(pid)) await sleep(0.5);
    },
  };
  const names = Object.keys(kinds);
  const pause = Number(process.env.TSCR_BENCH_PAUSE_MS ?? 30); // between runs, ms
  const rows = [];
  for (let i = -1; i < Number(rounds); i++) {
    for (let k = 0; k < names.length; k++) {
      const kind = names[(k + Math.max(i, 0)) % names.length];
      const id = `tscr-bench-phases-${process.pid}-${kind}`;
      const t0 = now();
      await kinds[kind](id);
      const end = now();
      if (kind === 'create') spawnSync('runc', ['--root', root, 'delete', id], { stdio: 'ignore' });
      if (i >= 0) rows.push({ kind, t0: String(t0), end: String(end) });
      await sleep(pause); // the last run's removals behind the calls, runc's cgroup removal: out of the next window
    }
  }
  writeFileSync(out, JSON.stringify(rows));
  containers.close?.();
} else if (mode === 'report') {
  const [clientFile, perfFile] = args;
  const runs = JSON.parse(readFileSync(clientFile, 'utf8'));
  // perf script -F comm,pid,tid,time,event,trace --ns: "comm pid/tid secs.ns: group:event: fields"
  const events = [];
  for (const line of readFileSync(perfFile, 'utf8').split('\n')) {
    const m = /^\s*(.+?)\s+(\d+)\/(\d+)\s+([\d.]+):\s+(\w+):(\w+):\s*(.*)$/.exec(line);
    if (m)
      events.push({
        comm: m[1],
        pid: Number(m[2]),
        tid: Number(m[3]),
        ms: Number(m[4]) * 1000,
        kind: m[6],
        rest: m[7],
      });
  }
  const ms = (v) => Number(BigInt(v) / 1000n) / 1000;
  const phases = (r) => {
    const t0 = ms(r.t0);
    const end = ms(r.end);
    const own = events.filter((e) => e.ms >= t0 && e.ms <= end);
    const first = (pred) => own.find(pred)?.ms;
    const last = (pred) => own.findLast(pred)?.ms;
    // runc run from the relay's sealed copy (/proc/<relay>/fd/<fd>) is named after that fd: a number.
    const isRunc = (e) => e.comm.startsWith('runc') || /^\d+$/.test(e.comm);
    const runcExec = first(
      (e) => e.kind === 'sched_process_exec' && /filename=(\/usr\/sbin\/runc|\/proc\/\d+\/fd\/\d+) /.test(e.rest),
    );
    if (runcExec === undefined) return undefined;
    const cmdExec = first((e) => e.kind === 'sched_process_exec' && /filename=\/(usr\/)?bin\/true/.test(e.rest));
    const cmdExit = first((e) => e.kind === 'sched_process_exit' && e.comm === 'true');
    // The write that puts the init into its first cgroup (v1: cpuset's cgroup.procs waits for an RCU grace period).
    const attach1 = own.findIndex((e) => e.kind === 'cgroup_attach_task' && isRunc(e));
    let attachWrite;
    for (let i = attach1; i > 0; i--) {
      if (own[i].kind === 'sys_enter_write' && own[i].tid === own[attach1].tid) {
        attachWrite = own[i].ms;
        break;
      }
    }
    const beforeCmd = (e) => cmdExec === undefined || e.ms <= cmdExec;
    const initExec = first((e) => e.kind === 'sched_process_exec' && e.rest.includes('filename=/proc/self/exe'));
    const attached = attach1 >= 0 ? own[attach1].ms : undefined;
    // runc 1.1's init copies the runc binary into a sealed memfd and runs that (exec of /dev/fd/N), unless it
    // already runs from one (tscr's relay keeps such a copy: see RelaySpawner.sealedPath).
    const copied = first((e) => e.kind === 'sched_process_exec' && e.rest.includes('filename=/dev/fd/'));
    const unshared = first((e) => e.kind === 'sys_exit_unshare' && isRunc(e));
    const pivot = first((e) => e.kind === 'sys_enter_pivot_root' && isRunc(e));
    const createExit =
      r.kind === 'run'
        ? undefined
        : first((e) => e.kind === 'sched_process_exit' && isRunc(e) && !e.comm.startsWith('runc:'));
    const endExit = last(
      (e) =>
        e.kind === 'sched_process_exit' &&
        ((isRunc(e) && !e.comm.startsWith('runc:')) || e.comm === 'conmon') &&
        e.ms > (cmdExit ?? 0),
    );
    const span = (a, b) => (a === undefined || b === undefined ? undefined : b - a);
    return {
      "runc's start-up (runc exec → runc init exec)": span(runcExec, initExec),
      "&nbsp;&nbsp;runc init copies runc into a memfd and runs the copy (0: runs from the relay's sealed copy)":
        copied === undefined ? 0 : span(initExec, copied),
      'runc init exec → its first cgroup attach': span(initExec, attached),
      '&nbsp;&nbsp;of which the first `cgroup.procs` write (v1 cpuset: an RCU grace period)': span(
        attachWrite,
        attached,
      ),
      'first cgroup attach → namespaces made (unshare returns)': span(attached, unshared),
      'namespaces → pivot_root (the mounts)': span(unshared, pivot),
      'pivot_root → `runc create` exits (api, create) / the command execs (run)': span(pivot, createExit ?? cmdExec),
      '`runc create` exits → the command execs (conmon, the daemon, the fifo)': span(createExit, cmdExec),
      'the command runs (`true`)': span(cmdExec, cmdExit),
      'the command exits → `runc run` / conmon exits (teardown; runc run also removes its cgroups)': span(
        cmdExit,
        endExit,
      ),
      '**runc exec → the command execs**': span(runcExec, cmdExec),
      '**runc exec → `runc create` exits / the command execs (run)**': span(runcExec, createExit ?? cmdExec),
      'mount system calls (sum of their durations)': sumPairs(own, 'sys_enter_mount', 'sys_exit_mount', isRunc),
      'mounts (count)': own.filter((e) => e.kind === 'sys_enter_mount' && isRunc(e) && beforeCmd(e)).length,
      'write system calls by runc before the command (count)': own.filter(
        (e) => e.kind === 'sys_enter_write' && isRunc(e) && beforeCmd(e),
      ).length,
      'cgroup attaches (count)': own.filter((e) => e.kind === 'cgroup_attach_task' && isRunc(e)).length,
      'cgroup rmdirs in the window, by runc (count)': own.filter((e) => e.kind === 'cgroup_rmdir' && isRunc(e)).length,
      'cgroup rmdirs in the window, by others (count)': own.filter((e) => e.kind === 'cgroup_rmdir' && !isRunc(e))
        .length,
    };
  };
  const byKind = {};
  for (const r of runs) {
    const p = phases(r);
    if (!p) continue;
    byKind[r.kind] = byKind[r.kind] ?? [];
    byKind[r.kind].push(p);
  }
  const kinds = Object.keys(byKind);
  const keys = [...new Set(kinds.flatMap((k) => byKind[k].flatMap((p) => Object.keys(p))))];
  console.log(
    `\n| span (ms, medians of ${kinds.map((k) => `${byKind[k].length} ${k}`).join(', ')}) | ${kinds.join(' | ')} |`,
  );
  console.log(`|---|${kinds.map(() => '---').join('|')}|`);
  for (const key of keys) {
    const cells = kinds.map((k) => {
      const v = med(byKind[k].map((p) => p[key]));
      return v === undefined ? '—' : Number.isInteger(v) ? String(v) : v.toFixed(2);
    });
    console.log(`| ${key} | ${cells.join(' | ')} |`);
  }
} else {
  console.error(
    'usage: runc-phases.mjs client <rounds> <image> <bundle> <runc root> <out.json> | report <client.json> <perf.txt>',
  );
  process.exit(2);
}

/** Total ms inside the system call pairs `enter`/`exit` of processes matching `who` (per thread, in order). */
function sumPairs(events, enter, exit, who) {
  const open = new Map();
  let total = 0;
  for (const e of events) {
    if (!who(e)) continue;
    if (e.kind === enter) open.set(e.tid, e.ms);
    else if (e.kind === exit && open.has(e.tid)) {
      total += e.ms - open.get(e.tid);
      open.delete(e.tid);
    }
  }
  return total;
}
