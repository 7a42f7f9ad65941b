#!/usr/bin/env bash
# runc's phases under tscr against raw runc on the equivalent bundle, on one clock (bench/runc-phases.mjs): a private
# daemon, its equivalent bundle (bench/equivalent-bundle.mjs), then API runs, raw `runc run` and raw `runc create`
# (conmon's arguments, the fifo released from Node) alternating under `perf record` with the kernel's process, cgroup
# and system-call events. Needs root and perf. Usage: bash bench/runc-phases.sh [--rounds N]
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "bench: run as root" >&2; exit 1; }
rounds=15
while [ $# -gt 0 ]; do
  case $1 in
    --rounds) rounds=$2; shift 2 ;;
    *) echo "usage: $0 [--rounds N]" >&2; exit 2 ;;
  esac
done
out=bench/.bench-out
mkdir -p "$out"
work=$(mktemp -d /tmp/tscr-bench-phases-XXXXXX)
cg=tscr-bench-phases-$$
daemon=""
cleanup() {
  set +e
  [ -n "$daemon" ] && kill "$daemon" 2>/dev/null && wait "$daemon" 2>/dev/null
  for c in $(runc --root "$work/runc-root" list -q 2>/dev/null); do runc --root "$work/runc-root" delete -f "$c"; done >/dev/null 2>&1
  umount -R "$work" 2>/dev/null
  rm -rf "$work"
  for c in /sys/fs/cgroup/*/"$cg"; do [ -d "$c" ] && { for s in "$c"/*/; do [ -d "$s" ] && rmdir "$s"; done; rmdir "$c"; }; done 2>/dev/null
  true
}
trap cleanup EXIT

bash scripts/busybox-rootfs.sh "$work/busybox.tar" >/dev/null
export TSCR_HOST="unix://$work/exec/tscr.sock"
tscr="node packages/cli/dist/main.cjs"
packages/daemon/dist/main.cjs --host "$TSCR_HOST" --root "$work/root" --exec-root "$work/exec" --cgroup-parent "$cg" \
  >"$work/tscrd.log" 2>&1 &
daemon=$!
for _ in $(seq 100); do $tscr version >/dev/null 2>&1 && break; sleep 0.1; done
$tscr image import "$work/busybox.tar" tscr-bench/busybox:latest >/dev/null
eq=$($tscr run -d --network none tscr-bench/busybox:latest sleep 600)
node bench/equivalent-bundle.mjs "$work/exec/runtime/tasks/$eq" "$work/eq" "/$cg/raw-eq" true
$tscr rm -f "$eq" >/dev/null

runc_only="comm ~ \"runc*\" || comm ~ \"[0-9]*\""
events=(-e sched:sched_process_fork -e sched:sched_process_exec -e sched:sched_process_exit
  -e cgroup:cgroup_mkdir -e cgroup:cgroup_attach_task -e cgroup:cgroup_rmdir)
for sc in mount unshare seccomp pivot_root write; do
  events+=(-e "syscalls:sys_enter_$sc" --filter "$runc_only" -e "syscalls:sys_exit_$sc" --filter "$runc_only")
done
load=$(cut -d' ' -f1-3 /proc/loadavg)
perf record -q -k CLOCK_MONOTONIC -a "${events[@]}" -o "$work/perf.data" -- \
  node bench/runc-phases.mjs client "$rounds" tscr-bench/busybox:latest "$work/eq" "$work/runc-root" "$work/runs.json" 2>/dev/null
perf script -i "$work/perf.data" -F comm,pid,tid,time,event,trace --ns 2>/dev/null >"$work/perf.txt"
cp "$work/perf.txt" "$work/runs.json" "$out/" && mv "$out/perf.txt" "$out/runc-phases-perf.txt" && mv "$out/runs.json" "$out/runc-phases-runs.json"
{ echo; echo "### runc's phases, $rounds rounds; load $load → $(cut -d' ' -f1-3 /proc/loadavg); $(date -u +%FT%TZ)"
  node bench/runc-phases.mjs report "$work/runs.json" "$work/perf.txt"; } | tee "$out/runc-phases.md"
