#!/usr/bin/env bash
# Where a real `tscr pull` spends its CPU, thread by thread: the bench layer (bench/pull-image.mjs, as in
# bench/pull.sh) served by a loopback docker-registry, pulled N times by a private tscrd; before and after each
# pull the CPU (utime+stime) of every thread of tscrd and of the registry is read from /proc, and the CLI's own
# CPU from its rusage. Threads are grouped by name: tscrd's main thread (JavaScript: HTTP, sha256, tar parsing,
# the blocking file creation when the unpack runs there), its unpack worker thread (when there is one), the libuv
# pool (zlib inflate, blob file writes), V8's helper threads (garbage collection, compilation).
# The question it answers: which thread is the pull's critical path, and what overlaps with what.
# Usage: bash bench/pull-threads.sh [--runs N] (default 5). Needs root, docker-registry, skopeo.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "bench: run as root" >&2; exit 1; }
runs=5
[ "${1:-}" = "--runs" ] && runs=$2
work=$(mktemp -d /tmp/tscr-bench-pullthreads-XXXXXX)
daemon="" registry=""
source bench/pull-setup.sh
trap 'pull_stop "$work"' EXIT
pull_setup "$work"
$tscr pull -q "$REF" >/dev/null # warm-up

snap() { # pid: "tid comm ticks" per thread, then "total process ticks" (exited threads included)
  local p
  p=$(cat /proc/"$1"/stat)
  read -r -a pf <<<"${p##*) }"
  echo "total process $(( pf[11] + pf[12] ))"
  for t in /proc/"$1"/task/*; do
    local s
    s=$(cat "$t/stat" 2>/dev/null) || continue
    # comm is in parentheses and may hold spaces: cut around the last ')'
    local comm=${s#*(} rest=${s##*) }
    comm=${comm%)*}
    read -r -a f <<<"$rest"
    echo "${t##*/} ${comm// /_} $(( f[11] + f[12] ))"
  done
}
for i in $(seq "$runs"); do
  $tscr rmi -f "$REF" >/dev/null
  sync
  snap "$daemon" >"$work/d0"
  snap "$registry" >"$work/r0"
  s=$(date +%s%N)
  cli=$( { /usr/bin/env time -f '%e %U %S' $tscr pull -q "$REF" >/dev/null; } 2>&1 | tail -1)
  e=$(date +%s%N)
  snap "$daemon" >"$work/d1"
  snap "$registry" >"$work/r1"
  echo "$(( (e - s) / 1000000 )) $cli" >>"$work/walls"
  node -e '
const fs = require("fs");
const [d0, d1, r0, r1, out] = process.argv.slice(1);
const read = (f) => new Map(fs.readFileSync(f, "utf8").trim().split("\n").map((l) => l.split(" ")).map(([t, c, n]) => [t, { c, n: +n }]));
const tick = 1000 / 100; // ms per clock tick (USER_HZ 100)
const sums = {};
const add = (k, v) => (sums[k] = (sums[k] ?? 0) + v);
const a = read(d0), b = read(d1);
// Node names all its threads "node": the main thread is the one whose id is the pid; the others are ranked.
const pid = process.argv[6];
const others = [];
let live = 0;
for (const [t, { n }] of b) {
  if (t === "total") continue;
  const ms = (n - (a.get(t)?.n ?? 0)) * tick;
  live += ms;
  if (t === pid) add("tscrd main thread", ms);
  else others.push(ms);
}
const total = (b.get("total").n - a.get("total").n) * tick;
add("tscrd threads that ended during the pull (the unpack worker)", Math.max(0, total - live));
add("**tscrd, whole process**", total);
others.sort((x, y) => y - x);
add("tscrd busiest other thread (the unpack worker, kept 5 s between layers)", others[0] ?? 0);
add("tscrd 2nd busiest other thread", others[1] ?? 0);
add("tscrd all other threads (libuv pool, V8 GC/compiler helpers, workers)", others.reduce((x, y) => x + y, 0));
const ra = read(r0), rb = read(r1);
for (const [t, { n }] of rb) if (t !== "total") add("registry (docker-registry, Go)", (n - (ra.get(t)?.n ?? 0)) * tick);
fs.appendFileSync(out, JSON.stringify(sums) + "\n");' "$work/d0" "$work/d1" "$work/r0" "$work/r1" "$work/groups" "$daemon"
done
echo "$(date -u '+%F %H:%M UTC'); load average (uptime):$(uptime | sed 's/.*load average://'); $(nproc) CPUs; $(cat "$work/layer-info")"
node -e '
const fs = require("fs");
const [groups, walls] = process.argv.slice(1);
const rows = fs.readFileSync(groups, "utf8").trim().split("\n").map((l) => JSON.parse(l));
const w = fs.readFileSync(walls, "utf8").trim().split("\n").map((l) => l.split(" ").map(Number));
const med = (xs) => { const s = [...xs].sort((a, b) => a - b), m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
const keys = [...new Set(rows.flatMap((r) => Object.keys(r)))].sort();
console.log(`| thread(s) | CPU ms per pull (median of ${rows.length}) |`);
console.log("|---|---|");
for (const k of keys) console.log(`| ${k} | ${Math.round(med(rows.map((r) => r[k] ?? 0)))} |`);
console.log(`| tscr CLI (user+sys) | ${Math.round(med(w.map((x) => (x[2] + x[3]) * 1000)))} |`);
console.log(`| **wall of tscr pull** | ${Math.round(med(w.map((x) => x[0])))} |`);' "$work/groups" "$work/walls"
