#!/usr/bin/env bash
# What a network driver outside the daemon costs per container start, in one run on this machine:
#   bridge     `tscr run --rm --network N IMG true` on a user bridge network (the daemon's own driver)
#   grpc       the same on a network of a driver served over gRPC (`--network-driver`; the Node app
#              packages/network/examples/serve-driver.mjs: the bridge implementation in another process)
#   plugin     the same on a network of a Docker network plugin (bench/network-plugin.mjs: libnetwork's remote
#              driver API over a UNIX socket, veths made with `ip`; the daemon's IPAM)
#   none       `--network none` (no network work at all)
# Runs interleaved (drift hits every column alike), 3 warm-up rounds, medians of spawn-to-exit wall time.
# Needs root. Usage: bash bench/network-plugins.sh [--runs N]
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "bench: run as root" >&2; exit 1; }
runs=20
[ "${1:-}" = "--runs" ] && runs=$2

work=$(mktemp -d /tmp/tscr-bench-np-XXXXXX)
tscr="node packages/cli/dist/main.cjs"
export TSCR_HOST="unix://$work/exec/tscr.sock"
daemon="" plugin="" driver=""
stop() { [ -n "$2" ] && kill "-$1" "$2" 2>/dev/null && { wait "$2" 2>/dev/null || true; }; }
cleanup() {
  if [ -n "$daemon" ]; then
    for c in $($tscr ps -aq 2>/dev/null); do $tscr rm -f "$c" >/dev/null 2>&1 || true; done
    for n in tscr-bench-br tscr-bench-grpc tscr-bench-plug; do $tscr network rm "$n" >/dev/null 2>&1 || true; done
  fi
  stop TERM "$daemon"
  stop TERM "$plugin"  # deletes the links it made
  stop USR2 "$driver"  # removes its bridges and iptables chains
  umount -R "$work" 2>/dev/null || true
  rm -rf "$work"
  for c in /sys/fs/cgroup/*/tscr-bench-np; do [ -d "$c" ] && rmdir "$c" 2>/dev/null; done
  true
}
trap cleanup EXIT

bash scripts/busybox-rootfs.sh "$work/busybox.tar" >/dev/null
mkdir -p "$work/plugins" "$work/driver"
waitready() { for _ in $(seq 100); do grep -q ready "$1" 2>/dev/null && return 0; sleep 0.1; done; return 1; }
# The Docker plugin and the gRPC-served driver, each its own process.
node bench/network-plugin.mjs "$work/plugins/tscr-bench-plug.sock" tbnp >"$work/plugin.log" 2>&1 &
plugin=$!
hex=$(head -c2 /dev/urandom | od -An -tx1 | tr -d ' \n')
node packages/network/examples/serve-driver.mjs "$work/driver.sock" "$work/driver" "tg$hex" 10.237.0.0/16 \
  >"$work/driver.log" 2>&1 &
driver=$!
waitready "$work/plugin.log" && waitready "$work/driver.log"
printf '{"pluginDirs": ["%s/plugins"], "dockerPluginDirs": false}\n' "$work" >"$work/tscrd.json"
node packages/daemon/dist/main.cjs --host "$TSCR_HOST" --root "$work/root" --exec-root "$work/exec" \
  --cgroup-parent tscr-bench-np --config "$work/tscrd.json" --network-driver "benchgrpc=unix://$work/driver.sock" \
  >"$work/tscrd.log" 2>&1 &
daemon=$!
for _ in $(seq 100); do $tscr version >/dev/null 2>&1 && break; sleep 0.1; done
$tscr image import "$work/busybox.tar" tscr-bench/busybox:latest >/dev/null
IMG=tscr-bench/busybox:latest
$tscr network create tscr-bench-br >/dev/null
$tscr network create -d benchgrpc tscr-bench-grpc >/dev/null
$tscr network create -d tscr-bench-plug tscr-bench-plug >/dev/null

node - "$runs" bridge grpc plugin none <<JS
const { spawnSync } = require('node:child_process');
const [runs, ...names] = process.argv.slice(2);
const net = { bridge: 'tscr-bench-br', grpc: 'tscr-bench-grpc', plugin: 'tscr-bench-plug', none: 'none' };
const times = Object.fromEntries(names.map((n) => [n, []]));
for (let round = -3; round < Number(runs); round++) {
  for (const n of names) {
    const t = process.hrtime.bigint();
    const r = spawnSync('sh', ['-c', '$tscr run --rm --network ' + net[n] + ' $IMG true'], { stdio: 'ignore' });
    if (r.status !== 0) throw new Error(n + ': run failed (' + r.status + ')');
    if (round >= 0) times[n].push(Number(process.hrtime.bigint() - t) / 1e6);
  }
}
const med = (n) => times[n].sort((a, b) => a - b)[times[n].length >> 1];
console.log('| network of a container (\`tscr run --rm --network N IMG true\`) | median ms | over none |');
console.log('|---|---|---|');
for (const n of names) console.log('| ' + n + ' | ' + med(n).toFixed(1) + ' | ' + (med(n) - med('none')).toFixed(1) + ' |');
JS
