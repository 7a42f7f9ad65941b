#!/usr/bin/env bash
# Scale: N sleeping containers (`sleep 3600`, --network none) started one after another through one warm
# gRPC client (bench/scale.mjs), on a private tscrd:
#   start 1 / start N   create+start latency of the 1st and the Nth container (median of the first / last 10)
#   ps at 50 / at N     `tscr ps` (table) as a fresh CLI process, with `tscr version` beside it, and the API list
#   RSS                 the daemon's VmRSS idle (20 s after start-up, as containerd's) and with N running
# Peer: containerd (Debian's), started on private paths inside this script and stopped by PID: its idle RSS,
# and with --ctr-count M > 0 its RSS with M `ctr run -d` containers (the same image, exported with `tscr save`).
# Goals (issue 17, goal 4): ps at N <= 2x ps at 50; start N <= 1.5x start 1; RSS <= 150 MiB at N, <= 60 MiB idle.
# Needs root. Usage: bash bench/scale.sh [--count N] [--ctr-count M]
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
[ "$(id -u)" = 0 ] || { echo "bench: run as root" >&2; exit 1; }
count=500
ctr_count=0
# Idle RSS is read this long after start-up, for both daemons (V8's memory reducer shrinks the heap ~15 s in).
settle=20
while [ $# -gt 0 ]; do
  case $1 in
    --count) count=$2; shift 2 ;;
    --ctr-count) ctr_count=$2; shift 2 ;;
    *) echo "usage: $0 [--count N] [--ctr-count M]" >&2; exit 2 ;;
  esac
done

out=bench/.bench-out
mkdir -p "$out"
work=$(mktemp -d /tmp/tscr-bench-scale-XXXXXX)
cg=tscr-bench-scale-$$
daemon=""
ctrd=""
tscr="node packages/cli/dist/main.cjs"
cleanup() {
  set +e
  [ -n "$daemon" ] && stop_tscrd "$daemon"
  [ -n "$ctrd" ] && stop_containerd "$ctrd" "$work/containerd/containerd.sock"
  reap_monitors "$work"
  for pid in $(pgrep -f containerd-shim); do
    tr '\0' '\n' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -- "$work" && kill -9 "$pid" 2>/dev/null
  done
  umount -R "$work" 2>/dev/null
  for m in $(grep -o " $work[^ ]*" /proc/self/mountinfo | sort -r); do umount -l "$m" 2>/dev/null; done
  rm -rf "$work"
  for c in /sys/fs/cgroup/*/"$cg" /sys/fs/cgroup/*/tscr-bench-scale-ctr; do
    [ -d "$c" ] && { for s in "$c"/*/; do [ -d "$s" ] && rmdir "$s"; done; rmdir "$c"; }
  done 2>/dev/null
  true
}
trap cleanup EXIT

rss_mib() { awk '/^VmRSS/ {printf "%.1f", $2/1024}' "/proc/$1/status"; }
bash scripts/busybox-rootfs.sh "$work/busybox.tar" >/dev/null

# ---- containerd first (its idle RSS on a quiet daemon), then stopped before tscr's run.
ctr_idle="–"; ctr_n="–"; ctr_version="–"
if command -v containerd >/dev/null && command -v ctr >/dev/null; then
  start_containerd "$work"
  ctr_version=$(containerd --version | awk '{print $3}')
  sleep "$settle"
  ctr_idle=$(rss_mib "$ctrd")
  stop_containerd "$ctrd" "$work/containerd/containerd.sock" || true
  ctrd=""
fi

# ---- tscr: a private daemon, started as its bin (`tscrd`) so the node flags of its shebang apply.
export TSCR_HOST="unix://$work/exec/tscr.sock"
packages/daemon/dist/main.cjs --host "$TSCR_HOST" --root "$work/root" --exec-root "$work/exec" \
  --cgroup-parent "$cg" >"$out/scale-tscrd.log" 2>&1 &
daemon=$!
for _ in $(seq 100); do $tscr version >/dev/null 2>&1 && break; sleep 0.1; done
sleep "$settle"
rss_idle=$(rss_mib "$daemon")
$tscr image import "$work/busybox.tar" tscr-bench/busybox:latest >/dev/null
IMG=tscr-bench/busybox:latest

[ "$ctr_count" -gt 0 ] && $tscr save -o "$work/busybox-docker.tar" "$IMG" # the same image for containerd, below
node bench/scale.mjs --image "$IMG" --pid "$daemon" --cli "$tscr" --count "$count" >"$out/scale.json"
# ---- optional: containerd's RSS with M containers (`ctr run -d`), the same image, after tscr's run.
if [ "$ctr_count" -gt 0 ] && [ "$ctr_version" != "–" ]; then
  start_containerd "$work"
  if $C image import --base-name bench "$work/busybox-docker.tar" >/dev/null; then
    img=$($C image ls -q | head -1)
    for i in $(seq "$ctr_count"); do $C run -d --cgroup "/tscr-bench-scale-ctr/c$i" "$img" "c$i" sleep 3600 >/dev/null; done
    sleep 3
    ctr_n=$(rss_mib "$ctrd")
  fi
  stop_containerd "$ctrd" "$work/containerd/containerd.sock" || true
  ctrd=""
fi
left_tasks=$(find "$work/exec/runtime/runc-root" -mindepth 1 -maxdepth 1 -type d 2>/dev/null | wc -l)
left_monitors=0
for pid in $(pgrep -x conmon); do
  tr '\0' '\n' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -- "$work" && left_monitors=$((left_monitors + 1))
done

node - "$out/scale.json" "$rss_idle" "$ctr_idle" "$ctr_n" "$ctr_count" "$ctr_version" "$left_tasks" "$left_monitors" <<'EOF' | tee "$out/scale.md"
const [file, rssIdle, ctrIdle, ctrN, ctrCount, ctrVersion, leftTasks, leftMonitors] = process.argv.slice(2);
const r = JSON.parse(require('fs').readFileSync(file, 'utf8'));
const med = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
const first = med(r.starts.slice(0, 10));
const last = med(r.starts.slice(-10));
const n = r.count, a = r.at;
const ms = (x) => x.toFixed(1);
const verdict = (ok) => (ok ? 'met' : 'NOT met');
const load = require('fs').readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
const rows = [
  ['`tscr ps` with ' + a + ' running, ms', ms(r[`ps${a}`]), '', ''],
  ['`tscr ps` with ' + n + ' running, ms', ms(r[`ps${n}`]), `${(r[`ps${n}`] / r[`ps${a}`]).toFixed(2)}x of ${a}`, `<= 2x: ${verdict(r[`ps${n}`] <= 2 * r[`ps${a}`])}`],
  ['`tscr version` at the same moments (50 / ' + n + '), ms', `${ms(r[`version${a}`])} / ${ms(r[`version${n}`])}`, 'the load, for reference', ''],
  ['API list with ' + a + ' running (warm client), ms', ms(r[`list${a}`]), '', ''],
  ['API list with ' + n + ' running (warm client), ms', ms(r[`list${n}`]), `${(r[`list${n}`] / r[`list${a}`]).toFixed(2)}x of ${a}`, ''],
  ['create+start, containers 1–10 (median), ms', ms(first), '', ''],
  ['create+start, median per tenth of the run, ms', r.startDeciles.map((x) => x.toFixed(0)).join(' · '), '', ''],
  [`create+start, containers ${n - 9}–${n} (median), ms`, ms(last), `${(last / first).toFixed(2)}x of the first`, `<= 1.5x: ${verdict(last <= 1.5 * first)}`],
  ['daemon RSS idle, MiB', rssIdle, `containerd idle ${ctrIdle} MiB: ${(rssIdle / ctrIdle).toFixed(2)}x`, `<= 60: ${verdict(+rssIdle <= 60)}`],
  [`daemon RSS with ${a} running, MiB`, r[`rss${a}`].toFixed(1), '', ''],
  [`daemon RSS with ${n} running, MiB`, r[`rss${n}`].toFixed(1), ctrCount > 0 ? `containerd with ${ctrCount}: ${ctrN} MiB` : '', `<= 150: ${verdict(r[`rss${n}`] <= 150)}`],
  [`daemon CPU over 10 s with nothing asked, ${a} / ${n} running, % of a core`, `${r[`idleCpu${a}`].toFixed(1)} / ${r[`idleCpu${n}`].toFixed(1)}`, 'background work per container', ''],
  [`daemon RSS after removing all ${n}, MiB`, r.rssAfter.toFixed(1), '', ''],
  [`remove all ${n} (10 at a time), s`, r.removeAllS.toFixed(1), '', ''],
  ['left after removal (records / runc states / conmons)', `${r.left} / ${leftTasks} / ${leftMonitors}`, '', `0: ${verdict(r.left + +leftTasks + +leftMonitors === 0)}`],
];
console.log(`## ${n} sleeping containers (sleep 3600, --network none), one after another; load: ${load}`);
console.log(`containerd ${ctrVersion}; node ${process.version}; ${new Date().toISOString()}\n`);
console.log('| what | tscr | against | goal |');
console.log('|---|---|---|---|');
for (const row of rows) console.log(`| ${row.join(' | ')} |`);
EOF
