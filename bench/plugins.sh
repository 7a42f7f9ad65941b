#!/usr/bin/env bash
# What a Docker volume plug-in costs per container start, in one run on this machine:
#   tscr local      `tscr run --rm -v VOL:/d IMG true` on a local volume
#   tscr plug-in    the same on a volume of a plug-in (bench/plugin-server.mjs on a UNIX socket in --plugin-dir):
#                   Get, Mount with the container ID, Unmount, as dockerd would call them
#   podman          the same two with podman (its [engine.volume_plugins] naming the same plug-in socket)
#   plug-in call    `VolumeDriver.Get` round trips through @tscr/plugins' client from a warm Node process
# Prints a markdown table of medians and the per-start plug-in cost (plug-in minus local).
# Needs root and a build. Usage: bash bench/plugins.sh [--runs N]
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "bench: run as root" >&2; exit 1; }
runs=20
[ "${1:-}" = "--runs" ] && runs=$2

out=bench/.bench-out/plugins
rm -rf "$out" && mkdir -p "$out"
work=$(mktemp -d /tmp/tscr-bench-plug-XXXXXX)
daemon=""
plugin=""
P=""
PP=""
cleanup() {
  if [ -n "$daemon" ]; then
    for c in $($tscr ps -aq 2>/dev/null); do $tscr rm -f "$c" >/dev/null 2>&1 || true; done
    kill "$daemon" 2>/dev/null && { wait "$daemon" 2>/dev/null || true; }
  fi
  [ -n "$P" ] && { $P system reset -f >/dev/null 2>&1 || true; }
  [ -n "$plugin" ] && { kill "$plugin" 2>/dev/null; wait "$plugin" 2>/dev/null || true; }
  umount -R "$work" 2>/dev/null || true
  rm -rf "$work"
  for c in /sys/fs/cgroup/*/tscr-bench-plug; do [ -d "$c" ] && rmdir "$c" 2>/dev/null; done
  true
}
trap cleanup EXIT

bash scripts/busybox-rootfs.sh "$work/busybox.tar" >/dev/null
mkdir -p "$work/plugins" "$work/plugin-data"
node bench/plugin-server.mjs "$work/plugins/benchvol.sock" "$work/plugin-data" &
plugin=$!
for _ in $(seq 100); do [ -S "$work/plugins/benchvol.sock" ] && break; sleep 0.1; done

export TSCR_HOST="unix://$work/exec/tscr.sock"
tscr="node packages/cli/dist/main.cjs"
printf '{"dockerPluginDirs": false}\n' >"$work/tscrd.json"
node packages/daemon/dist/main.cjs --host "$TSCR_HOST" --root "$work/root" --exec-root "$work/exec" \
  --config "$work/tscrd.json" --plugin-dir "$work/plugins" --no-cri \
  --cgroup-parent tscr-bench-plug >"$work/tscrd.log" 2>&1 &
daemon=$!
for _ in $(seq 100); do $tscr version >/dev/null 2>&1 && break; sleep 0.1; done
$tscr image import "$work/busybox.tar" tscr-bench/busybox:latest >/dev/null
IMG=tscr-bench/busybox:latest
$tscr volume create benchlocal >/dev/null
$tscr volume create -d benchvol benchplug >/dev/null

if command -v podman >/dev/null; then
  # The ulimits as bench/network.sh sets them (podman's defaults fail under this host's limits).
  printf '[containers]\ndefault_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]\n[engine.volume_plugins]\nbenchvol = "%s"\n' \
    "$work/plugins/benchvol.sock" >"$work/containers.conf"
  export CONTAINERS_CONF="$work/containers.conf"
  P="podman --root $work/podman-root --runroot $work/podman-run --cgroup-manager cgroupfs --events-backend none"
  $P import -q "$work/busybox.tar" localhost/bench-busybox >/dev/null
  $P volume create pmlocal >/dev/null
  PP=$P
  $P volume create --driver benchvol pmplug >/dev/null || { echo "bench: podman has no volume plug-in support here" >&2; PP=""; }
fi

# Interleaved rounds (the machine is shared and noisy), 3 warm-up rounds, medians of spawn-to-exit wall time.
node - "$out" "$runs" "$tscr run --rm --network none -v benchlocal:/d $IMG true" \
  "$tscr run --rm --network none -v benchplug:/d $IMG true" \
  ${P:+"$P run --rm --runtime runc --network none -v pmlocal:/d localhost/bench-busybox true"} \
  ${PP:+"$PP run --rm --runtime runc --network none -v pmplug:/d localhost/bench-busybox true"} <<'JS'
const { spawnSync } = require('node:child_process');
const { writeFileSync } = require('node:fs');
const [dir, runs, ...cmds] = process.argv.slice(2);
const names = ['tscr-local', 'tscr-plugin', 'podman-local', 'podman-plugin'];
const times = cmds.map(() => []);
for (let round = -3; round < Number(runs); round++) {
  cmds.forEach((cmd, i) => {
    const t = process.hrtime.bigint();
    const r = spawnSync('sh', ['-c', cmd], { stdio: 'ignore' });
    const ms = Number(process.hrtime.bigint() - t) / 1e6;
    if (r.status !== 0) throw new Error(`${cmd} failed (${r.status})`);
    if (round >= 0) times[i].push(ms);
  });
}
cmds.forEach((_, i) => {
  const s = times[i].sort((a, b) => a - b);
  writeFileSync(`${dir}/${names[i]}.json`, JSON.stringify({ median: s[s.length >> 1] }));
});
JS

# The client alone: VolumeDriver.Get round trips from a warm process (built @tscr/plugins).
node --input-type=module - "$out" "$work/plugins" <<'JS'
import { writeFileSync } from 'node:fs';
import { PluginRegistry } from './packages/plugins/dist/local/index.js';
const [dir, plugins] = process.argv.slice(2);
const reg = new PluginRegistry({ dirs: { sockets: [plugins], specs: [] } });
const p = await reg.get('benchvol', 'VolumeDriver');
const n = 2000;
for (let i = 0; i < 200; i++) await p.call('VolumeDriver.Get', { Name: 'benchplug' });
const t = process.hrtime.bigint();
for (let i = 0; i < n; i++) await p.call('VolumeDriver.Get', { Name: 'benchplug' });
const us = Number(process.hrtime.bigint() - t) / 1e3 / n;
writeFileSync(`${dir}/call.json`, JSON.stringify({ us }));
JS

node - "$out" <<'JS'
const { existsSync, readFileSync } = require('node:fs');
const dir = process.argv[2];
const get = (k) => (existsSync(`${dir}/${k}.json`) ? JSON.parse(readFileSync(`${dir}/${k}.json`, 'utf8')) : undefined);
const ms = (k) => get(k)?.median;
const rows = [
  ['tscr-local', '`tscr run --rm --network none -v VOL:/d IMG true`, local volume'],
  ['tscr-plugin', 'the same, volume of a plug-in (Get, Mount, Unmount over a UNIX socket)'],
  ['podman-local', '`podman run --rm --runtime runc --network none -v VOL:/d IMG true`, local volume'],
  ['podman-plugin', 'the same, volume of the same plug-in (containers.conf volume_plugins)'],
];
console.log('| what | median ms |');
console.log('|---|---|');
for (const [k, label] of rows) console.log(`| ${label} | ${ms(k)?.toFixed(1) ?? 'failed or not installed'} |`);
const cost = (a, b) => (ms(a) !== undefined && ms(b) !== undefined ? `${(ms(a) - ms(b)).toFixed(1)} ms` : '–');
console.log(`\nplug-in cost per start: tscr ${cost('tscr-plugin', 'tscr-local')}, podman ${cost('podman-plugin', 'podman-local')}`);
console.log(`one VolumeDriver.Get through @tscr/plugins (warm, UNIX socket, new connection per call): ${get('call')?.us.toFixed(0) ?? '–'} µs`);
JS
