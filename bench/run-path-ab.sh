#!/usr/bin/env bash
# A/B of the run path (issue 17 goal 2) between two daemon builds, side by side in the same minutes: two private
# tscrd started with TSCR_TRACE (A: the tree at $TREEA, B: the tree at $TREEB, default this one), a busybox image imported into each, then
# ROUNDS (default 6) alternating rounds of RUNS (default 10) create/attach/start/wait/remove through the gRPC API
# from a warm client (bench/api-latency.mjs of this tree, the same client for both), the load beside each round.
# Prints, for A and B, the client's per-call medians and the daemon's per-step breakdown (bench/trace-report.mjs);
# the traces are kept in bench/.bench-out/run-path-ab-{a,b}.jsonl.
# TREEA is a whole tree with built packages (its packages/daemon/dist/main.cjs and the @tscr packages it loads),
# e.g. a copy of this worktree made before a change (`cp -al`, then real copies of the rebuilt packages' dist).
# Slot B came out slower than slot A with the same build in both (7.6 ms of 91 at load 9-18, all in `runc create`):
# run it both ways (TREEA=old, then TREEA=new TREEB=old) and compare the daemon's own steps, not the totals.
# ENVA / ENVB: NAME=VALUE words added to daemon A's / B's environment (the same tree in both, one setting apart:
# TREEA=$PWD ENVA=TSCR_SEALED_RUNC=0). CLIENTA / CLIENTB: words added to bench/api-latency.mjs's arguments for A / B
# (TREEA=$PWD CLIENTB='--transport lite': the library's client over grpc-js vs the lean HTTP/2 transport). PAR=N: each
# round starts N containers at once instead (bench/containers-api.mjs, `sleep`, removed after the round) and prints its
# time and CPU per container. NOATTACH=1: the runs make no attach before the start (a detached run, as `docker run -d`).
# Needs root. Usage: TREEA=/tmp/old-tree [TREEB=…] [ENVA=…] [ENVB=…] bash bench/run-path-ab.sh
set -uo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
[ "$(id -u)" = 0 ] || { echo "bench: run as root" >&2; exit 1; }
[ -n "${TREEA:-}" ] && [ -f "$TREEA/packages/daemon/dist/main.cjs" ] || { echo "usage: TREEA=<built tree> $0" >&2; exit 2; }
work=$(mktemp -d /tmp/tscr-bench-rpab-XXXXXX)
cg=tscr-bench-rpab-$$
pa=""; pb=""
tscr=packages/cli/dist/main.cjs
cleanup() {
  for v in a b; do export TSCR_HOST="unix://$work/$v/exec/tscr.sock"; ids=$($tscr ps -aq 2>/dev/null); [ -n "$ids" ] && $tscr rm -f $ids >/dev/null 2>&1; done
  [ -n "$pa" ] && kill $pa; [ -n "$pb" ] && kill $pb; wait 2>/dev/null
  reap_monitors "$work"
  for m in $(grep -o " $work[^ ]*" /proc/self/mountinfo | sort -r); do umount -l "$m" 2>/dev/null; done
  rm -rf "$work"
  for c in /sys/fs/cgroup/*/"$cg"; do [ -d "$c" ] && { for s in "$c"/*/ "$c"/*/*/; do [ -d "$s" ] && rmdir "$s"; done; rmdir "$c"/* "$c"; }; done 2>/dev/null
  true
}
trap cleanup EXIT
bash scripts/busybox-rootfs.sh "$work/busybox.tar" >/dev/null
start() { # v tree
  mkdir -p "$work/$1"
  local extra="ENV${1^^}"
  # shellcheck disable=SC2086 # ENVA/ENVB are words
  TSCR_TRACE="$work/$1/trace.jsonl" env -u NODE_EXTRA_CA_CERTS ${!extra:-} node --max-semi-space-size=2 "$2/packages/daemon/dist/main.cjs" \
    --host "unix://$work/$1/exec/tscr.sock" --root "$work/$1/root" --exec-root "$work/$1/exec" --cgroup-parent "$cg/$1" \
    >"$work/$1.log" 2>&1 &
  echo $!
}
pa=$(start a "$TREEA"); pb=$(start b "${TREEB:-$PWD}")
for v in a b; do
  export TSCR_HOST="unix://$work/$v/exec/tscr.sock"
  for _ in $(seq 100); do $tscr version >/dev/null 2>&1 && break; sleep 0.1; done
  $tscr image import "$work/busybox.tar" tscr-bench/busybox:latest >/dev/null
  node bench/api-latency.mjs --runs 1 --warmup 3 --image tscr-bench/busybox:latest --out "$work/warm-$v.json" >/dev/null
  : >"$work/$v/trace.jsonl"
done
for r in $(seq "${ROUNDS:-6}"); do
  order="a b"; [ $((r % 2)) = 0 ] && order="b a" # each goes first in half the rounds
  for v in $order; do
    export TSCR_HOST="unix://$work/$v/exec/tscr.sock"
    if [ -n "${PAR:-}" ]; then
      pid=$pa; [ "$v" = b ] && pid=$pb
      out=$(TSCR_BENCH_DAEMON_PID=$pid node bench/containers-api.mjs tscr-bench/busybox:latest "$PAR" par 1)
      echo "$out" >>"$work/par-$v.txt"
      echo "round $r $v: $PAR at once: $out, load $(cut -d' ' -f1-3 /proc/loadavg)"
      continue
    fi
    extra="CLIENT${v^^}"
    # shellcheck disable=SC2086,SC2046 # CLIENTA/CLIENTB are words; NOATTACH=1: no attach before the start
    node bench/api-latency.mjs --runs "${RUNS:-10}" --warmup 0 --image tscr-bench/busybox:latest ${!extra:-} \
      --out "$work/lat-$v-$r.json" --calls "$work/calls-$v-$r.json" $([ -n "${NOATTACH:-}" ] && echo --no-attach) >/dev/null 2>&1
    lat=$(node -e 'const r=require(process.argv[1]).results[0];console.log((r.median*1000).toFixed(1))' "$work/lat-$v-$r.json")
    echo "round $r $v: run path ${lat} ms, load $(cut -d' ' -f1-3 /proc/loadavg)"
  done
done
sleep 1
mkdir -p bench/.bench-out
for v in a b; do
  cp "$work/$v/trace.jsonl" "bench/.bench-out/run-path-ab-$v.jsonl"
done
if [ -n "${PAR:-}" ]; then
  for v in a b; do # lines "seq - par <s> rounds <s> cpu <client>,<daemon>,<busy>"
    node -e '
      const rows = require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n").map((l) => l.split(" "));
      const med = (xs) => { const a = [...xs].sort((x, y) => x - y); return a[a.length >> 1]; };
      const t = rows.map((r) => Number(r[3])), busy = rows.map((r) => Number(r[7].split(",")[2]));
      console.log(`${process.argv[2]}: ${t.length} rounds, median ${med(t).toFixed(3)} s (min ${Math.min(...t).toFixed(3)}), machine busy ${med(busy).toFixed(1)} ms per container`);' \
      "$work/par-$v.txt" "$v"
  done
  exit 0
fi
for v in a b; do
  # Every round's runs together: the client's calls (all runs' medians of medians would hide the spread) and the totals.
  node -e '
    const fs = require("fs"); const [w, v, n] = process.argv.slice(1);
    const med = (xs) => { const a = [...xs].sort((x, y) => x - y); return a[Math.floor(a.length / 2)]; };
    const rounds = Array.from({ length: Number(n) }, (_, i) => i + 1);
    const calls = {};
    for (const r of rounds) for (const [k, ms] of Object.entries(JSON.parse(fs.readFileSync(`${w}/calls-${v}-${r}.json`)))) (calls[k] ??= []).push(ms);
    const totals = rounds.flatMap((r) => JSON.parse(fs.readFileSync(`${w}/lat-${v}-${r}.json`)).results[0].times);
    const merged = Object.fromEntries(Object.entries(calls).map(([k, xs]) => [k, med(xs)]));
    fs.writeFileSync(`${w}/calls-${v}.json`, JSON.stringify(merged));
    console.log(`\n## ${v === "a" ? "A (" + process.env.TREEA + " " + (process.env.ENVA || "") + ")" : "B (" + (process.env.TREEB || "this tree") + " " + (process.env.ENVB || "") + ")"}: run path median ${(med(totals) * 1000).toFixed(1)} ms over ${totals.length} runs\n`);' \
    "$work" "$v" "${ROUNDS:-6}"
  node bench/trace-report.mjs "$work/$v/trace.jsonl" "$work/calls-$v.json"
  node bench/grpc-trace.mjs "$work/$v/trace.jsonl" # the daemon's side of each call: its stream, handler, before and after
done
