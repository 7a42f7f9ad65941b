#!/usr/bin/env bash
# Recovery after a crash, with N sleeping containers (default 20, default bridge network), against containerd:
#   kill -9      the daemon is killed, started again: seconds until it answers and lists all N running
#   db lost      the same, with the state database (tscr.db and its WAL) deleted first: all N re-adopted
#   ctr          containerd killed -9 with N tasks, started again: seconds until `ctr task ls` shows N RUNNING
# Medians of --runs runs. Needs root. Usage: bash bench/recovery.sh [--runs N] [--count N]
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
[ "$(id -u)" = 0 ] || { echo "bench: run as root" >&2; exit 1; }
runs=3
count=20
while [ $# -gt 0 ]; do
  case $1 in
    --runs) runs=$2; shift 2 ;;
    --count) count=$2; shift 2 ;;
    *) echo "usage: $0 [--runs N] [--count N]" >&2; exit 2 ;;
  esac
done

out=bench/.bench-out
mkdir -p "$out"
work=$(mktemp -d /tmp/tscr-bench-recovery-XXXXXX)
cg=tscr-bench-rec-$$
export TSCR_HOST="unix://$work/exec/tscr.sock"
tscr="node packages/cli/dist/main.cjs"
daemon=""
ctrd=""
C="ctr -a $work/containerd/containerd.sock -n tscr-bench"
cleanup() {
  set +e
  [ -n "$daemon" ] && stop_tscrd "$daemon"
  [ -n "$ctrd" ] && stop_containerd "$ctrd" "$work/containerd/containerd.sock"
  umount -R "$work" 2>/dev/null
  node -e 'require("@tscr/network").purgeHostNetwork({ prefix: require("@tscr/network").networkPrefixForRoot(process.argv[1]), runDir: process.argv[2] })' \
    "$work/root" "$work/exec/netns" 2>/dev/null
  rm -rf "$work"
  for c in /sys/fs/cgroup/*/"$cg"; do [ -d "$c" ] && rmdir "$c" 2>/dev/null; done
  true
}
trap cleanup EXIT

now() { date +%s.%N; }
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
start_tscrd() {
  node packages/daemon/dist/main.cjs --host "$TSCR_HOST" --root "$work/root" --exec-root "$work/exec" \
    --cgroup-parent "$cg" >>"$work/tscrd.log" 2>&1 &
  daemon=$!
}
# Seconds from the daemon's spawn until it lists $count running containers, into $elapsed
# (not printed: in a $(…) subshell the new daemon's PID would be lost).
restart_tscrd() {
  local t0 n
  t0=$(now)
  start_tscrd
  for _ in $(seq 600); do
    n=$($tscr ps -q 2>/dev/null | wc -l) || n=0
    [ "$n" -ge "$count" ] && break
    sleep 0.02
  done
  [ "$n" -ge "$count" ] || { echo "bench: tscrd lists $n of $count after restart" >&2; exit 1; }
  elapsed=$(awk -v a="$t0" -v b="$(now)" 'BEGIN {printf "%.3f\n", b - a}')
}
kill9() { kill -9 "$1" && { wait "$1" 2>/dev/null || true; }; }

bash scripts/busybox-rootfs.sh "$work/busybox.tar" >/dev/null
start_tscrd
for _ in $(seq 100); do $tscr version >/dev/null 2>&1 && break; sleep 0.1; done
$tscr image import "$work/busybox.tar" tscr-bench/busybox:latest >/dev/null
for i in $(seq "$count"); do $tscr run -d --name "rec-$i" tscr-bench/busybox:latest sleep 3600 >/dev/null; done

k9=(); lost=()
for _ in $(seq "$runs"); do
  kill9 "$daemon"
  restart_tscrd
  k9+=("$elapsed")
  kill9 "$daemon"
  rm -f "$work/root/tscr.db" "$work/root/tscr.db-wal" "$work/root/tscr.db-shm"
  restart_tscrd
  lost+=("$elapsed")
done

ctr_t=()
if command -v ctr >/dev/null && command -v containerd >/dev/null; then
  mkdir -p "$work/containerd"
  printf 'version = 2\nroot = "%s/containerd/root"\nstate = "%s/containerd/state"\n[grpc]\n  address = "%s/containerd/containerd.sock"\n[plugins."io.containerd.grpc.v1.cri"]\n  disable = true\n' \
    "$work" "$work" "$work" >"$work/containerd/config.toml"
  start_ctrd() { containerd --config "$work/containerd/config.toml" >>"$work/containerd.log" 2>&1 & ctrd=$!; }
  start_ctrd
  for _ in $(seq 100); do $C version >/dev/null 2>&1 && break; sleep 0.1; done
  $tscr save "tscr-bench/busybox:latest" -o "$work/busybox-docker.tar"
  if $C image import --base-name bench "$work/busybox-docker.tar" >/dev/null 2>&1; then
    img=$($C image ls -q | head -1)
    for i in $(seq "$count"); do $C run -d "$img" "rec-$i" sleep 3600 >/dev/null; done
    for _ in $(seq "$runs"); do
      kill9 "$ctrd"
      t0=$(now)
      start_ctrd
      for _ in $(seq 600); do
        n=$($C task ls 2>/dev/null | grep -c RUNNING) || n=0
        [ "$n" -ge "$count" ] && break
        sleep 0.02
      done
      ctr_t+=("$(awk -v a="$t0" -v b="$(now)" 'BEGIN {printf "%.3f\n", b - a}')")
    done
  fi
fi

med() { printf '%s\n' "$@" | median; }
tk=$(med "${k9[@]}"); tl=$(med "${lost[@]}")
tc=""; [ ${#ctr_t[@]} -gt 0 ] && tc=$(med "${ctr_t[@]}")
ratio() { [ -n "$2" ] && awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2fx", a/b}' || echo "–"; }
{
  echo "## Restart after kill -9 with $count running containers; medians of $runs runs; load: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo
  echo "| what | tscr | ctr (containerd) | tscr/ctr |"
  echo "|---|---|---|---|"
  echo "| kill -9, restart, all $count listed running, s | $tk | ${tc:-–} | $(ratio "$tk" "$tc") |"
  echo "| the same with the state database deleted (re-adopted from record copies), s | $tl | – | $(ratio "$tl" "$tc") |"
} | tee "$out/recovery.md"
