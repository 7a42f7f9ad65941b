#!/usr/bin/env bash
# A/B of the monitor spawner for 50 at once (issue 17 goals 2 and 3): two private daemons, one starting conmon
# through `tscr-relay spawner` (the default), one with TSCR_SPAWNER=thread (Node's spawn in a worker thread, a
# fork of the daemon per start); N containers (`sleep 3600`, no network) created and started at once through the
# API (bench/containers-api.mjs), alternating, ROUNDS rounds; prints the wall time and the daemon's CPU for each.
# Not part of run.sh (a diagnostic). Needs root. Usage: bash bench/spawner-ab.sh [ROUNDS] [N]
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "bench: run as root" >&2; exit 1; }
rounds=${1:-3}
n=${2:-50}
work=$(mktemp -d /tmp/tscr-bench-ab-XXXXXX)
cleanup() {
  set +e
  for v in relay thread; do [ -f "$work/$v.pid" ] && kill "$(cat "$work/$v.pid")" 2>/dev/null; done
  sleep 2
  umount -R "$work" 2>/dev/null
  rm -rf "$work"
  for v in relay thread; do
    for c in /sys/fs/cgroup/*/"tscr-bench-ab-$v-$$"; do
      [ -d "$c" ] && { for s in "$c"/*/; do [ -d "$s" ] && rmdir "$s"; done; rmdir "$c"; }
    done
  done 2>/dev/null
  true
}
trap cleanup EXIT
bash scripts/busybox-rootfs.sh "$work/busybox.tar" >/dev/null
for v in relay thread; do
  mkdir -p "$work/$v"
  TSCR_SPAWNER=$v packages/daemon/dist/main.cjs --host "unix://$work/$v/tscr.sock" --root "$work/$v/root" \
    --exec-root "$work/$v/exec" --cgroup-parent "tscr-bench-ab-$v-$$" >"$work/$v.log" 2>&1 &
  echo $! >"$work/$v.pid"
done
for v in relay thread; do
  for _ in $(seq 100); do TSCR_HOST="unix://$work/$v/tscr.sock" node packages/cli/dist/main.cjs version >/dev/null 2>&1 && break; sleep 0.1; done
  TSCR_HOST="unix://$work/$v/tscr.sock" node packages/cli/dist/main.cjs image import "$work/busybox.tar" tscr-bench/busybox:latest >/dev/null
done
cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; }
tck=$(getconf CLK_TCK)
echo "| round | spawner | $n at once, s | daemon CPU (create + start + remove), ms | load |"
echo "|---|---|---|---|---|"
for r in $(seq "$rounds"); do
  for v in relay thread; do
    pid=$(cat "$work/$v.pid")
    c0=$(cpu "$pid")
    took=$(TSCR_HOST="unix://$work/$v/tscr.sock" node bench/containers-api.mjs tscr-bench/busybox:latest "$n" par | awk '{print $4}')
    c1=$(cpu "$pid")
    echo "| $r | $v | $took | $(((c1 - c0) * 1000 / tck)) | $(cut -d' ' -f1 /proc/loadavg) |"
  done
done
