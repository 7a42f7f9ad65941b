#!/usr/bin/env bash
# CLI start-up (issue 17, goal 1), in one hyperfine run against a private tscrd with 50 `sleep` containers running:
#   node -e 0                                  what any Node program pays before its first line, in this environment
#                                              (with its NODE_EXTRA_CA_CERTS, if set: Node parses that file first)
#   env -u NODE_EXTRA_CA_CERTS node -e 0       bare Node (what tscr's bins start as: they defer that file)
#   tscr version / docker version              the Docker 28 CLI goes to tscrd's Docker API socket (-H unix://...)
#   tscr ps / docker ps                        with 50 running (no network)
#   tscr run / docker run                      `run --rm --network none IMG true`
#   node bin version / ps / run                the same through the Node bin alone (no CLI host)
# tscr is run as its bin, as npm links it: the native client packages/cli/dist/tscr, served by a warm CLI host of
# this run (its own TSCR_CLI_HOST_DIR, ended by PID at the end); the Node bin is packages/cli/dist/main.cjs through its
# `sh` first line, which defers NODE_EXTRA_CA_CERTS.
# Goals: each tscr row <= 1.2x its docker row; tscr version <= node -e 0 + 20 ms.
# Prints a markdown table of medians, ratios and goals; raw hyperfine JSON lands in bench/.bench-out/cli/.
# Then where the time goes: `tscr version` and `tscr ps` phase by phase (TSCR_STARTUP_TRACE, bench/cli-phases.mjs;
# with --baseline, that build beside this one).
# Needs root and a built CLI and daemon (npm run build). `--tscr BIN` measures another build of the bin (e.g. one of
# the main branch, to compare); `--baseline BIN` measures another build's version/ps/run beside this one's, in the same
# run. Usage: bash bench/cli.sh [--runs N] [--count N] [--tscr BIN] [--baseline BIN]
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
[ "$(id -u)" = 0 ] || { echo "bench: run as root" >&2; exit 1; }
runs=20
count=50
# The bin as npm links it: the native client (dist/tscr), which hands commands to a warm CLI host (dist/cli-host.cjs,
# packages/cli/README.md) and falls back to the Node bin (dist/main.cjs) for the rest; a tree without it: the Node bin.
tscr=$(tscr_bin)
node_bin=packages/cli/dist/main.cjs
baseline=""
while [ $# -gt 0 ]; do
  case $1 in
    --runs) runs=$2; shift 2 ;;
    --count) count=$2; shift 2 ;;
    --tscr) tscr=$2; shift 2 ;;
    --baseline) baseline=$2; shift 2 ;;
    *) echo "usage: $0 [--runs N] [--count N] [--tscr BIN] [--baseline BIN]" >&2; exit 2 ;;
  esac
done
command -v hyperfine >/dev/null || bash scripts/setup.sh --bench >/dev/null
docker=/usr/local/bin/docker
[ -x "$docker" ] || docker=$(command -v docker || true)
[ -n "$docker" ] || { echo "bench: no docker CLI" >&2; exit 1; }

out=bench/.bench-out/cli
rm -rf "$out" && mkdir -p "$out"
work=$(mktemp -d /tmp/tscr-bench-cli-XXXXXX)
cg=tscr-bench-cli-$$
daemon=""
cleanup() {
  set +e
  stop_cli_hosts   # and no new host from the calls below
  if [ -n "$daemon" ]; then
    ids=$($tscr ps -aq 2>/dev/null)
    [ -n "$ids" ] && $tscr rm -f $ids >/dev/null 2>&1
    kill "$daemon" 2>/dev/null && wait "$daemon" 2>/dev/null
  fi
  umount -R "$work" 2>/dev/null
  for m in $(grep -o " $work[^ ]*" /proc/self/mountinfo | sort -r); do umount -l "$m" 2>/dev/null; done
  rm -rf "$work"
  for c in /sys/fs/cgroup/*/"$cg"; do
    [ -d "$c" ] && { for s in "$c"/*/; do [ -d "$s" ] && rmdir "$s"; done; rmdir "$c"; }
  done 2>/dev/null
  true
}
trap cleanup EXIT

bash scripts/busybox-rootfs.sh "$work/busybox.tar" >/dev/null
export TSCR_HOST="unix://$work/exec/tscr.sock"
# The tscr CLI keeps its code cache here: a fresh one per run, warmed by hyperfine's warm-up runs.
export XDG_CACHE_HOME="$work/cache"
export DOCKER_CONFIG="$work/docker-config"
use_cli_host "$work"
mkdir -p "$DOCKER_CONFIG"
dsock="unix://$work/exec/docker.sock"
# Started as its bin (`tscrd`), so the node flags of its first (sh) line apply.
packages/daemon/dist/main.cjs --host "$TSCR_HOST" --docker-host "$dsock" --root "$work/root" --exec-root "$work/exec" \
  --cgroup-parent "$cg" --no-cri >"$work/tscrd.log" 2>&1 &
daemon=$!
for _ in $(seq 100); do $tscr version >/dev/null 2>&1 && [ -S "$work/exec/docker.sock" ] && break; sleep 0.1; done
$tscr image import "$work/busybox.tar" tscr-bench/busybox:latest >/dev/null
IMG=tscr-bench/busybox:latest
for i in $(seq "$count"); do $tscr run -d --network none --name "sleep$i" "$IMG" sleep 3600 >/dev/null; done
running=$($tscr ps -q | wc -l)
[ "$running" = "$count" ] || echo "bench: $running of $count containers running" >&2

host_pid=$(wait_cli_host "$tscr")

D="$docker -H $dsock"
base=()
[ -n "$baseline" ] && base=(-n 'baseline version' "$baseline version" -n 'baseline ps' "$baseline ps"
  -n 'baseline run' "$baseline run --rm --network none $IMG true")
hyperfine -N --warmup 3 --runs "$runs" --export-json "$out/cli.json" \
  -n 'node -e 0' 'node -e 0' \
  -n 'bare node -e 0' 'env -u NODE_EXTRA_CA_CERTS node -e 0' \
  -n 'tscr version' "$tscr version" \
  -n 'docker version' "$D version" \
  -n 'tscr ps' "$tscr ps" \
  -n 'docker ps' "$D ps" \
  -n 'tscr run' "$tscr run --rm --network none $IMG true" \
  -n 'docker run' "$D run --rm --network none $IMG true" \
  -n 'node bin version' "$node_bin version" \
  -n 'node bin ps' "$node_bin ps" \
  -n 'node bin run' "$node_bin run --rm --network none $IMG true" "${base[@]}" >"$out/cli.txt" 2>&1 || {
  echo "bench: hyperfine failed:" >&2
  tail -5 "$out/cli.txt" >&2
  exit 1
}

host_rss=""
[ -n "$host_pid" ] && host_rss=$(awk '/^VmRSS/ {printf "%.1f", $2 / 1024}' "/proc/$host_pid/status" 2>/dev/null || true)
node - "$out/cli.json" "$running" "$runs" "$tscr" "$host_rss" <<'EOF'
const fs = require('fs');
const [file, running, runs, bin, hostRss] = process.argv.slice(2);
const results = JSON.parse(fs.readFileSync(file, 'utf8')).results;
const ms = Object.fromEntries(results.map((r) => [r.command, r.median * 1000]));
// CPU time (user + system, mean) moves less with the machine's load than wall time does.
const cpu = Object.fromEntries(results.map((r) => [r.command, (r.user + r.system) * 1000]));
const f = (v) => v.toFixed(1);
const row = (what, t, peer, limit, goal) =>
  `| ${what} | ${f(ms[t])} | ${peer} ${f(ms[peer])} | ${(ms[t] / ms[peer]).toFixed(2)} | ${goal} (${f(limit)}) | ` +
  `${ms[t] <= limit ? 'met' : 'NOT met'} | ${f(cpu[t])} / ${f(cpu[peer])} |`;
console.log(`CLI start-up: medians of ${runs} runs (hyperfine -N), ${running} containers running; ms`);
console.log('');
console.log('| command | tscr | peer | tscr / peer | goal (limit) | verdict | CPU tscr / peer |');
console.log('|---|---|---|---|---|---|---|');
console.log(row('version', 'tscr version', 'docker version', 1.2 * ms['docker version'], '<= 1.2x docker'));
console.log(row('version', 'tscr version', 'node -e 0', ms['node -e 0'] + 20, '<= node -e 0 + 20 ms'));
console.log(row('version', 'tscr version', 'bare node -e 0', ms['bare node -e 0'] + 20, '<= bare node -e 0 + 20 ms'));
console.log(row(`ps (${running} running)`, 'tscr ps', 'docker ps', 1.2 * ms['docker ps'], '<= 1.2x docker'));
console.log(row('run --rm --network none IMG true', 'tscr run', 'docker run', 1.2 * ms['docker run'], '<= 1.2x docker'));
console.log('');
console.log(`tscr = ${bin}${hostRss ? `; its CLI host's RSS after the runs: ${hostRss} MiB` : ''}. The Node bin (dist/main.cjs, what the native`);
console.log('client falls back to, and what the first call after the host idled out runs while it starts a new host), same run:');
console.log('');
console.log('| command | Node bin, ms | CPU ms | tscr, ms | Node bin / docker |');
console.log('|---|---|---|---|---|');
for (const [c, peer] of [['version', 'docker version'], ['ps', 'docker ps'], ['run', 'docker run']])
  console.log(`| ${c} | ${f(ms[`node bin ${c}`])} | ${f(cpu[`node bin ${c}`])} | ${f(ms[`tscr ${c}`])} | ${(ms[`node bin ${c}`] / ms[peer]).toFixed(2)} |`);
if (ms['baseline version'] !== undefined) {
  console.log('');
  console.log('| baseline build (--baseline), same run | ms | CPU ms | this build, ms |');
  console.log('|---|---|---|---|');
  for (const c of ['version', 'ps', 'run'])
    console.log(`| ${c} | ${f(ms[`baseline ${c}`])} | ${f(cpu[`baseline ${c}`])} | ${f(ms[`tscr ${c}`])} |`);
}
EOF
# Start-up phases are the Node bin's (TSCR_STARTUP_TRACE is never served by the host).
phase_bins=(--bin "this build=$node_bin")
[ -n "$baseline" ] && phase_bins+=(--bin "baseline=$baseline")
for cmd in version ps; do
  echo
  node bench/cli-phases.mjs --runs "$runs" "${phase_bins[@]}" -- "$cmd"
done

echo
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg); NODE_EXTRA_CA_CERTS=${NODE_EXTRA_CA_CERTS:-(unset)}; node $(node --version); $($docker --version); $(hyperfine --version)"
