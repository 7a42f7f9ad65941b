#!/usr/bin/env bash
# The run path, step by step (issue 17 goal 2): in one run, raw `runc run` (hyperfine) on two bundles — the
# equivalent one (tscr's own config.json taken from a container of this run: seccomp, overlay root mounted by
# runc, Docker's mounts and masked paths; see bench/equivalent-bundle.mjs) and `runc spec`'s minimal one — and
# create/attach/start/wait/remove through the gRPC API from a warm Node client (bench/api-latency.mjs),
# against a private daemon started with TSCR_TRACE so every step of the daemon's path is timed. Prints the
# medians with both ratios, the client's per-call medians and the daemon's per-step breakdown (bench/trace-report.mjs).
# With perf: the path on one clock (bench/run-path-timeline.mjs) and runc's own phases under tscr and raw
# (bench/runc-phases.mjs, --phases N rounds, default half the runs; TSCR_SEALED_RUNC=0 in the environment: the daemon
# without the relay's sealed runc copy).
# Goal: API path <= 1.5x raw `runc run` on the equivalent bundle. Needs root.
# Usage: bash bench/run-path.sh [--runs N] [--par N] [--phases N]
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "bench: run as root" >&2; exit 1; }
runs=30
par=""
phases=""
while [ $# -gt 0 ]; do
  case $1 in
    --runs) runs=$2; shift 2 ;;
    --par) par=$2; shift 2 ;;
    --phases) phases=$2; shift 2 ;;
    *) echo "usage: $0 [--runs N] [--par N] [--phases N]" >&2; exit 2 ;;
  esac
done

out=bench/.bench-out
mkdir -p "$out"
work=$(mktemp -d /tmp/tscr-bench-rp-XXXXXX)
cg=tscr-bench-rp-$$
daemon=""
cleanup() {
  set +e
  keep_log
  [ -n "$daemon" ] && kill "$daemon" 2>/dev/null && wait "$daemon" 2>/dev/null
  runc --root "$work/runc-root" delete -f "bench-rp-$$" >/dev/null 2>&1
  for c in $(runc --root "$work/runc-root" list -q 2>/dev/null); do runc --root "$work/runc-root" delete -f "$c"; done >/dev/null 2>&1
  umount -R "$work" 2>/dev/null
  rm -rf "$work"
  for c in /sys/fs/cgroup/*/"$cg"; do [ -d "$c" ] && { for s in "$c"/*/; do [ -d "$s" ] && rmdir "$s"; done; rmdir "$c"; }; done 2>/dev/null
  true
}
trap cleanup EXIT
keep_log() { cp "$work/tscrd.log" "$out/run-path-tscrd.log" 2>/dev/null || true; }

bash scripts/busybox-rootfs.sh "$work/busybox.tar" >/dev/null
export TSCR_HOST="unix://$work/exec/tscr.sock"
tscr="node packages/cli/dist/main.cjs"
TSCR_TRACE="$work/trace.jsonl" packages/daemon/dist/main.cjs --host "$TSCR_HOST" --root "$work/root" \
  --exec-root "$work/exec" --cgroup-parent "$cg" >"$work/tscrd.log" 2>&1 &
daemon=$!
for _ in $(seq 100); do $tscr version >/dev/null 2>&1 && break; sleep 0.1; done
$tscr image import "$work/busybox.tar" tscr-bench/busybox:latest >/dev/null

mkdir -p "$work/bundle/rootfs"
tar -C "$work/bundle/rootfs" -xf "$work/busybox.tar"
(cd "$work/bundle" && runc spec && node -e '
  const fs = require("fs"); const c = JSON.parse(fs.readFileSync("config.json"));
  c.process.terminal = false; c.process.args = ["true"]; c.linux.cgroupsPath = process.argv[1];
  fs.writeFileSync("config.json", JSON.stringify(c));' "/$cg/raw")

# The equivalent bundle: the config.json tscr generated for a container of this daemon (same image, same
# overlay root arrangement), with `true` as its command, its own upper/work dirs and cgroup.
eq=$($tscr run -d --network none tscr-bench/busybox:latest sleep 600)
node bench/equivalent-bundle.mjs "$work/exec/runtime/tasks/$eq" "$work/eq" "/$cg/raw-eq" true
$tscr rm -f "$eq" >/dev/null

# Interleaved: runc, API, runc, API (halves), so a change in the machine's load hits both.
half=$(( (runs + 1) / 2 ))
node bench/api-latency.mjs --runs 1 --warmup 3 --image tscr-bench/busybox:latest --out "$work/warm.json"
sleep 1.5
: >"$work/trace.jsonl"
for part in 1 2; do
  hyperfine -N --warmup 3 --runs "$half" --export-json "$work/runc-$part.json" \
    "runc --root $work/runc-root run --bundle $work/bundle bench-rp-$$" >/dev/null
  hyperfine -N --warmup 3 --runs "$half" --export-json "$work/runc-eq-$part.json" \
    "runc --root $work/runc-root run --bundle $work/eq bench-rp-eq-$$" >/dev/null
  node bench/api-latency.mjs --runs "$half" --warmup 1 --image tscr-bench/busybox:latest \
    --out "$work/api-$part.json" --calls "$work/calls-$part.json"
done
sleep 1.5
node -e '
  const fs = require("fs"); const [w, out] = process.argv.slice(1);
  const times = (n) => [1, 2].flatMap((p) => JSON.parse(fs.readFileSync(`${w}/${n}-${p}.json`)).results[0].times);
  const med = (xs) => { const a = [...xs].sort((x, y) => x - y); return a[Math.floor(a.length / 2)]; };
  const r = med(times("runc")), e = med(times("runc-eq")), a = med(times("api"));
  const c1 = JSON.parse(fs.readFileSync(`${w}/calls-1.json`)), c2 = JSON.parse(fs.readFileSync(`${w}/calls-2.json`));
  fs.writeFileSync(`${w}/calls.json`, JSON.stringify(Object.fromEntries(Object.keys(c1).map((k) => [k, (c1[k] + c2[k]) / 2]))));
  const ms = (s) => (s * 1000).toFixed(1);
  const range = (n) => `${ms(Math.min(...times(n)))}–${ms(Math.max(...times(n)))}`;
  const load = fs.readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
  const lines = [
    `## Run path: ${times("api").length} runs each, interleaved; load ${load}; ${new Date().toISOString()}`, "",
    "| what | median ms | min–max ms | API ratio to it | goal |", "|---|---|---|---|---|",
    `| raw \`runc run\`, equivalent bundle (tscr config.json, \`true\`) | ${ms(e)} | ${range("runc-eq")} | ${(a / e).toFixed(2)}× | ≤ 1.50× ${a / e <= 1.5 ? "met" : "NOT met"} |`,
    `| raw \`runc run\`, \`runc spec\` bundle (\`true\`) | ${ms(r)} | ${range("runc")} | ${(a / r).toFixed(2)}× | (shown for comparison) |`,
    `| tscr API create/attach/start/wait/remove | ${ms(a)} | ${range("api")} | 1.00× | |`, ""];
  fs.writeFileSync(out, lines.join("\n")); console.log(lines.join("\n"));' "$work" "$out/run-path.md"
node bench/trace-report.mjs "$work/trace.jsonl" "$work/calls.json" | tee -a "$out/run-path.md"
# The same path on one clock with the kernel's process events (conmon, runc, the command), when perf is there.
if command -v perf >/dev/null && [ "$(perf list 2>/dev/null | grep -c sched:sched_process_exec)" -gt 0 ]; then
  relay=$(pgrep -P "$daemon" -f 'tscr-relay spawner' | head -1)
  : >"$work/trace.jsonl"
  perf record -q -k CLOCK_MONOTONIC -a -e sched:sched_process_fork,sched:sched_process_exec,sched:sched_process_exit \
    -o "$work/perf.data" -- node bench/run-path-timeline.mjs client "$half" tscr-bench/busybox:latest "$work/timeline.json" \
    2>/dev/null
  sleep 1.5
  perf script -i "$work/perf.data" -F comm,pid,time,event,trace --ns 2>/dev/null >"$work/perf.txt"
  node bench/run-path-timeline.mjs report "$work/timeline.json" "$work/perf.txt" "$work/trace.jsonl" "$relay" |
    tee -a "$out/run-path.md"
  # runc's own phases: the API's `runc create` (through conmon) against raw `runc run` and `runc create` on the
  # equivalent bundle, alternating, with the kernel's cgroup events and runc's system calls.
  runc_only="comm ~ \"runc*\" || comm ~ \"[0-9]*\"" # digits: runc run from the relay's sealed copy (/proc/<relay>/fd/N)
  events=(-e sched:sched_process_fork -e sched:sched_process_exec -e sched:sched_process_exit
    -e cgroup:cgroup_mkdir -e cgroup:cgroup_attach_task -e cgroup:cgroup_rmdir)
  for sc in mount unshare seccomp pivot_root write; do
    events+=(-e "syscalls:sys_enter_$sc" --filter "$runc_only" -e "syscalls:sys_exit_$sc" --filter "$runc_only")
  done
  load=$(cut -d' ' -f1-3 /proc/loadavg)
  perf record -q -k CLOCK_MONOTONIC -a "${events[@]}" -o "$work/phases.data" -- node bench/runc-phases.mjs client \
    "${phases:-$half}" tscr-bench/busybox:latest "$work/eq" "$work/runc-root" "$work/phases.json" 2>/dev/null
  perf script -i "$work/phases.data" -F comm,pid,tid,time,event,trace --ns 2>/dev/null >"$work/phases.txt"
  { echo; echo "runc's phases: ${phases:-$half} rounds; load $load → $(cut -d' ' -f1-3 /proc/loadavg)"
    node bench/runc-phases.mjs report "$work/phases.json" "$work/phases.txt"; } | tee -a "$out/run-path.md"
  # conmon's start-up before it execs runc, on the kernel's clock: `--sync` (through the relay) against its double fork.
  node bench/conmon-startup.mjs "$work/eq" "$work/runc-root" "$work/cs" "$half" | tee -a "$out/run-path.md"
else
  echo "(no perf with sched tracepoints: the timeline with conmon's and runc's process events is skipped)" | tee -a "$out/run-path.md"
fi
# The monitor step alone on the equivalent bundle: conmon's own cost over `runc create`.
node bench/monitor-cost.mjs "$work/eq" "$work/runc-root" "$work/mc" "$half" | tee -a "$out/run-path.md"
# Starting that monitor: a fork of a daemon-sized Node process against a request to the relay's spawner.
echo | tee -a "$out/run-path.md"
node bench/spawn-cost.mjs "$runs" 100 | tee -a "$out/run-path.md"

# With --par N: N containers (`sleep 3600`) created and started at once through the API, step by step.
if [ -n "$par" ]; then
  : >"$work/trace.jsonl"
  took=$(node bench/containers-api.mjs tscr-bench/busybox:latest "$par" par | awk '{print $4}')
  sleep 1.5
  { echo; echo "### $par at once through the API: $took s; load $(cut -d' ' -f1-3 /proc/loadavg)"; echo
    node bench/trace-report.mjs "$work/trace.jsonl"; } | tee -a "$out/run-path.md"
fi
