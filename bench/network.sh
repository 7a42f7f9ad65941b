#!/usr/bin/env bash
# What the network costs per container start, in one run on this machine:
#   tscr bridge   `tscr run --rm IMG true` on the default bridge network (namespace, veth, address, DNS files)
#   tscr none     `tscr run --rm --network none IMG true`
#   podman        `podman run --rm IMG true` on its default network (CNI backend: bridge + host-local + portmap
#                 + firewall plugins), and `--network none`, private --root/--runroot
# Prints a markdown table of medians and the per-start network cost (bridge minus none).
# Needs root. Usage: bash bench/network.sh [--runs N]
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "bench: run as root" >&2; exit 1; }
runs=20
[ "${1:-}" = "--runs" ] && runs=$2

out=bench/.bench-out/network
rm -rf "$out" && mkdir -p "$out"
work=$(mktemp -d /tmp/tscr-bench-net-XXXXXX)
daemon=""
P=""
cleanup() {
  if [ -n "$daemon" ]; then
    for c in $($tscr ps -aq 2>/dev/null); do $tscr rm -f "$c" >/dev/null 2>&1 || true; done
    kill "$daemon" 2>/dev/null && { wait "$daemon" 2>/dev/null || true; }
  fi
  [ -n "$P" ] && { $P system reset -f >/dev/null 2>&1 || true; }
  umount -R "$work" 2>/dev/null || true
  rm -rf "$work"
  for c in /sys/fs/cgroup/*/tscr-bench-net; do [ -d "$c" ] && rmdir "$c" 2>/dev/null; done
  true
}
trap cleanup EXIT

bash scripts/busybox-rootfs.sh "$work/busybox.tar" >/dev/null

export TSCR_HOST="unix://$work/exec/tscr.sock"
tscr="node packages/cli/dist/main.cjs"
node packages/daemon/dist/main.cjs --host "$TSCR_HOST" --root "$work/root" --exec-root "$work/exec" \
  --cgroup-parent tscr-bench-net >"$work/tscrd.log" 2>&1 &
daemon=$!
for _ in $(seq 100); do $tscr version >/dev/null 2>&1 && break; sleep 0.1; done
$tscr image import "$work/busybox.tar" tscr-bench/busybox:latest >/dev/null
IMG=tscr-bench/busybox:latest

if command -v podman >/dev/null; then
  mkdir -p "$work/cni"
  printf '[containers]\ndefault_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]\n[network]\nnetwork_backend = "cni"\nnetwork_config_dir = "%s/cni"\n' \
    "$work" >"$work/containers.conf"
  export CONTAINERS_CONF="$work/containers.conf"
  P="podman --root $work/podman-root --runroot $work/podman-run --cgroup-manager cgroupfs --events-backend none"
  $P import -q "$work/busybox.tar" localhost/bench-busybox >/dev/null
fi

# The machine is shared and noisy: the commands run interleaved (bridge, none, bridge, none, …), so drift
# hits every column alike; 3 warm-up rounds; medians of wall time from spawn to exit.
node - "$out" "$runs" "$tscr run --rm $IMG true" "$tscr run --rm --network none $IMG true" \
  ${P:+"$P run --rm --runtime runc localhost/bench-busybox true"} \
  ${P:+"$P run --rm --runtime runc --network none localhost/bench-busybox true"} <<'JS'
const { spawnSync } = require('node:child_process');
const { writeFileSync } = require('node:fs');
const [dir, runs, ...cmds] = process.argv.slice(2);
const names = ['tscr-bridge', 'tscr-none', 'podman-bridge', 'podman-none'];
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
  const median = s[s.length >> 1] / 1000;
  writeFileSync(`${dir}/${names[i]}.json`, JSON.stringify({ results: [{ median, times: s.map((x) => x / 1000) }] }));
});
JS

node - "$out" <<'JS'
const { existsSync, readFileSync } = require('node:fs');
const dir = process.argv[2];
const get = (k) => {
  const f = `${dir}/${k}.json`;
  return existsSync(f) ? JSON.parse(readFileSync(f, 'utf8')).results[0].median * 1000 : undefined;
};
const rows = [
  ['tscr-bridge', '`tscr run --rm IMG true` (default bridge)'],
  ['tscr-none', '`tscr run --rm --network none IMG true`'],
  ['podman-bridge', '`podman run --rm --runtime runc IMG true` (default network, CNI)'],
  ['podman-none', '`podman run --rm --runtime runc --network none IMG true`'],
];
console.log('| what | median ms |');
console.log('|---|---|');
for (const [k, label] of rows) console.log(`| ${label} | ${get(k)?.toFixed(1) ?? 'failed or not installed'} |`);
const cost = (a, b) => (get(a) !== undefined && get(b) !== undefined ? `${(get(a) - get(b)).toFixed(1)} ms` : '–');
console.log(`\nnetwork cost per start: tscr ${cost('tscr-bridge', 'tscr-none')} (goal ≤ 40 ms), podman ${cost('podman-bridge', 'podman-none')}`);
JS
