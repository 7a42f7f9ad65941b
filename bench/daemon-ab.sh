#!/usr/bin/env bash
# A/B of two daemon builds or settings, side by side: two private tscrd, each started as `node FLAGS BIN` with
# extra environment (A: $BINA $FA $EA, B: $BINB $FB $EB; BIN defaults to this tree's packages/daemon/dist/main.cjs,
# which runs without its sh line here, so give its flags and environment explicitly), a busybox image imported
# into each; then ROUNDS alternating rounds (default 3) of 50 starts at once through the API
# (bench/containers-api.mjs) and 10 API runs (bench/api-latency.mjs), with the load average beside each; then both
# are left idle SETTLE seconds (default 90) and their RSS read: what a setting costs in speed and saves after activity.
# Needs root. Example:
#   BINA=/tmp/old/packages/daemon/dist/main.cjs FA=--max-semi-space-size=2 FB=--max-semi-space-size=2 \
#   EB=GLIBC_TUNABLES=glibc.malloc.trim_threshold=131072 bash bench/daemon-ab.sh
set -uo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
work=$(mktemp -d /tmp/tscr-bench-ab-XXXXXX)
cg=tscr-bench-ab-$$
pa=""; pb=""
cleanup() {
  for v in a b; do export TSCR_HOST="unix://$work/$v/exec/tscr.sock"; tscr=packages/cli/dist/main.cjs; ids=$($tscr ps -aq 2>/dev/null); [ -n "$ids" ] && $tscr rm -f $ids >/dev/null 2>&1; done
  [ -n "$pa" ] && kill $pa; [ -n "$pb" ] && kill $pb; wait 2>/dev/null
  reap_monitors "$work"
  for m in $(grep -o " $work[^ ]*" /proc/self/mountinfo | sort -r); do umount -l "$m" 2>/dev/null; done
  rm -rf "$work"
  for c in /sys/fs/cgroup/*/"$cg"; do [ -d "$c" ] && { for s in "$c"/*/; do [ -d "$s" ] && rmdir "$s"; done; rmdir "$c"; }; done 2>/dev/null
}
trap cleanup EXIT
bash scripts/busybox-rootfs.sh "$work/busybox.tar" >/dev/null
tscr=packages/cli/dist/main.cjs
start() { # v flags bin env
  local v=$1 flags=$2 bin=${3:-packages/daemon/dist/main.cjs} e=${4:-X_UNUSED=1}
  env -u NODE_EXTRA_CA_CERTS $e node $flags $bin --host "unix://$work/$v/exec/tscr.sock" --root "$work/$v/root" --exec-root "$work/$v/exec" --cgroup-parent "$cg/$v" >"$work/$v.log" 2>&1 &
  echo $!
}
FA=${FA:-}; FB=${FB:-}
pa=$(start a "$FA" "${BINA:-packages/daemon/dist/main.cjs}" "${EA:-}"); pb=$(start b "$FB" "${BINB:-packages/daemon/dist/main.cjs}" "${EB:-}")
for v in a b; do
  export TSCR_HOST="unix://$work/$v/exec/tscr.sock"
  for _ in $(seq 100); do $tscr version >/dev/null 2>&1 && break; sleep 0.1; done
  $tscr image import "$work/busybox.tar" tscr-bench/busybox:latest >/dev/null
  $tscr run -d --network none --name warm tscr-bench/busybox:latest true >/dev/null && $tscr rm -f warm >/dev/null
done
for r in $(seq ${ROUNDS:-3}); do
  for v in a b; do
    export TSCR_HOST="unix://$work/$v/exec/tscr.sock"
    par=$(node bench/containers-api.mjs tscr-bench/busybox:latest 50 par | awk '{print $4}')
    node bench/api-latency.mjs --runs 10 --warmup 1 --image tscr-bench/busybox:latest --out "$work/lat-$v.json" >/dev/null 2>&1
    lat=$(node -e 'const r=require(process.argv[1]).results[0];console.log((r.median*1000).toFixed(1))' "$work/lat-$v.json")
    echo "round $r $v: par50 ${par}s runpath ${lat}ms load $(cut -d' ' -f1 /proc/loadavg)"
  done
done
sleep ${SETTLE:-90}
for v in a b; do p=pa; [ $v = b ] && p=pb; echo "$v after activity: $(awk '/^(RssAnon|RssFile):/{printf "%s %.1f ", $1, $2/1024}' /proc/${!p}/status)"; done
