#!/usr/bin/env bash
# Idle RSS: private tscrd daemons, started as the bin `tscrd` (so the bin's own Node flags apply), each timed from
# spawn to its first answered call (bench/idle-rss.mjs) and read SETTLE seconds later, with nothing asked of them:
#   RSS = RssAnon + RssFile   /proc/PID/status (anonymous: V8's heap, malloc, stacks; file: mostly the node binary)
#   start-up                  spawn to the first answered System.Version (what recovery after kill -9 waits for)
# with the environment as it is and without NODE_EXTRA_CA_CERTS (Node parses that whole file at start-up), median of
# --runs daemons each; beside bare `node -e` idle and Debian's containerd idle (started on private paths inside this
# script, stopped by PID), read after the same SETTLE seconds.
# And idle after activity: RUNS more daemons, each used once (a busybox image imported through the CLI, one `true`
# container run and removed through the API), read --settle-active seconds (default 90) after that.
# Goal (issue 17, goal 4): tscrd idle <= 60 MiB.
# --baseline BIN also measures another build of the bin (e.g. an older commit's packages/daemon/dist/main.cjs) in the
# same run, its daemons started between this build's.
# Needs root. Usage: bash bench/idle-rss.sh [--runs N] [--settle S] [--settle-active S] [--no-active] [--baseline BIN]
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
[ "$(id -u)" = 0 ] || { echo "bench: run as root" >&2; exit 1; }
runs=3
settle=30
settle_active=90
active=yes
baseline=""
while [ $# -gt 0 ]; do
  case $1 in
    --runs) runs=$2; shift 2 ;;
    --settle) settle=$2; shift 2 ;;
    --settle-active) settle_active=$2; shift 2 ;;
    --no-active) active=""; shift ;;
    --baseline) baseline=$2; shift 2 ;;
    *) echo "usage: $0 [--runs N] [--settle S] [--settle-active S] [--no-active] [--baseline BIN]" >&2; exit 2 ;;
  esac
done

out=bench/.bench-out
mkdir -p "$out"
work=$(mktemp -d /tmp/tscr-bench-idle-XXXXXX)
cg=tscr-bench-idle-$$
ctrd=""
bare=""
cleanup() {
  set +e
  [ -n "$ctrd" ] && stop_containerd "$ctrd" "$work/containerd/containerd.sock"
  [ -n "$bare" ] && kill "$bare" 2>/dev/null && wait "$bare" 2>/dev/null
  reap_monitors "$work"
  for m in $(grep -o " $work[^ ]*" /proc/self/mountinfo | sort -r); do umount -l "$m" 2>/dev/null; done
  rm -rf "$work"
  for c in /sys/fs/cgroup/*/"$cg"; do [ -d "$c" ] && rmdir "$c"; done 2>/dev/null
  true
}
trap cleanup EXIT

status_json() { awk '/^(VmRSS|RssAnon|RssFile|Threads):/ {v[$1]=$2} END {
  printf "{\"rss\":%.1f,\"anon\":%.1f,\"file\":%.1f,\"threads\":%d}", v["VmRSS:"]/1024, v["RssAnon:"]/1024, v["RssFile:"]/1024, v["Threads:"] }' "/proc/$1/status"; }

# The peers first, side by side: containerd, and a bare Node doing nothing.
ctr_json=null
if command -v containerd >/dev/null && command -v ctr >/dev/null; then
  start_containerd "$work"
  ctr_version=$(containerd --version | awk '{print $3}')
fi
node -e 'setTimeout(() => {}, 1e9)' &
bare=$!
sleep "$settle"
bare_json=$(status_json "$bare")
kill "$bare"; wait "$bare" 2>/dev/null || true; bare=""
if [ -n "$ctrd" ]; then
  ctr_json=$(status_json "$ctrd")
  stop_containerd "$ctrd" "$work/containerd/containerd.sock" || true
  ctrd=""
fi

[ -n "$active" ] && bash scripts/busybox-rootfs.sh "$work/busybox.tar" >/dev/null
node bench/idle-rss.mjs --work "$work" --cgroup-parent "$cg" --runs "$runs" --settle "$settle" \
  ${baseline:+--baseline "$baseline"} ${active:+--image-tar "$work/busybox.tar" --settle-active "$settle_active"} \
  >"$out/idle-rss.json"

node - "$out/idle-rss.json" "$bare_json" "$ctr_json" "${ctr_version:-–}" "$settle_active" <<'NODE' | tee "$out/idle-rss.md"
const fs = require('node:fs');
const [file, bareJson, ctrJson, ctrVersion, settleActive] = process.argv.slice(2);
const r = JSON.parse(fs.readFileSync(file, 'utf8'));
const bare = JSON.parse(bareJson);
const ctr = JSON.parse(ctrJson);
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const m = (v, k) => median(r[v].map((x) => x[k]));
const row = (what, x, vs, goal = '') => `| ${what} | ${x} | ${vs} | ${goal} |`;
const split = (v) => `${m(v, 'anon').toFixed(1)} + ${m(v, 'file').toFixed(1)}`;
const lines = [
  `| what (median of ${r.env.length}) | tscrd | against | goal |`,
  '|---|---|---|---|',
  row('idle RSS, MiB', m('env', 'rss').toFixed(1),
    ctr ? `containerd ${ctrVersion} idle ${ctr.rss.toFixed(1)} MiB: ${(m('env', 'rss') / ctr.rss).toFixed(2)}x` : '',
    `<= 60: ${m('env', 'rss') <= 60 ? 'met' : '**NOT met**'}`),
  row('idle RSS = anon + file, MiB', split('env'),
    `bare \`node -e\` idle: ${bare.anon.toFixed(1)} + ${bare.file.toFixed(1)} = ${bare.rss.toFixed(1)}`),
  row('idle RSS without NODE_EXTRA_CA_CERTS, MiB', `${m('noCa', 'rss').toFixed(1)} (${split('noCa')})`, '', ''),
  row('threads', m('env', 'threads'), `bare node ${bare.threads}${ctr ? `, containerd ${ctr.threads}` : ''}`),
  row('start-up to the first answered call, ms', m('env', 'startMs').toFixed(0),
    `without NODE_EXTRA_CA_CERTS: ${m('noCa', 'startMs').toFixed(0)}`),
];
if (r.active) {
  lines.push(row(`idle ${settleActive} s after one image import and one run: anon + file = RSS, MiB`,
    `${split('active')} = ${m('active', 'rss').toFixed(1)}`, '', ''));
}
if (r.baseline) {
  lines.push(row('baseline build: idle RSS = anon + file, MiB', `${m('baseline', 'rss').toFixed(1)} (${split('baseline')})`,
    `this build ${(m('env', 'rss') - m('baseline', 'rss')).toFixed(1)} MiB`));
  lines.push(row('baseline build: start-up to the first answered call, ms', m('baseline', 'startMs').toFixed(0), ''));
  if (r.activeBaseline) {
    lines.push(row(`baseline build: idle ${settleActive} s after one import and one run, anon + file = RSS, MiB`,
      `${split('activeBaseline')} = ${m('activeBaseline', 'rss').toFixed(1)}`,
      `this build ${(m('active', 'rss') - m('activeBaseline', 'rss')).toFixed(1)} MiB`));
  }
}
console.log(lines.join('\n'));
NODE
