#!/usr/bin/env bash
# What the Docker Engine API front door costs, in one run on this machine:
#   docker CLI 28 -> tscrd's Docker API   `docker run --rm --pull never [--network none] IMG true`
#   tscr CLI -> tscrd's gRPC API          `tscr run --rm [--network none] IMG true`
# against the same private daemon, plus dockerd's figures from shared/PEERS.md (no dockerd may run here).
# Prints a markdown table of medians and the compat/tscr ratio (goal: <= 1.1).
# Needs root. Usage: bash bench/compat.sh [--runs N]
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "bench: run as root" >&2; exit 1; }
runs=20
[ "${1:-}" = "--runs" ] && runs=$2
command -v hyperfine >/dev/null || bash scripts/setup.sh --bench >/dev/null
docker=/usr/local/bin/docker
[ -x "$docker" ] || docker=$(command -v docker || true)
[ -n "$docker" ] || { echo "bench: no docker CLI" >&2; exit 1; }

out=bench/.bench-out/compat
rm -rf "$out" && mkdir -p "$out"
work=$(mktemp -d /tmp/tscr-bench-compat-XXXXXX)
daemon=""
tscr="node packages/cli/dist/main.cjs"
cleanup() {
  if [ -n "$daemon" ]; then
    for c in $($tscr ps -aq 2>/dev/null); do $tscr rm -f "$c" >/dev/null 2>&1 || true; done
    kill "$daemon" 2>/dev/null && { wait "$daemon" 2>/dev/null || true; }
  fi
  umount -R "$work" 2>/dev/null || true
  rm -rf "$work"
  for c in /sys/fs/cgroup/*/tscr-bench-compat; do [ -d "$c" ] && rmdir "$c" 2>/dev/null; done
  true
}
trap cleanup EXIT

bash scripts/busybox-rootfs.sh "$work/busybox.tar" >/dev/null
export TSCR_HOST="unix://$work/exec/tscr.sock"
export DOCKER_HOST="unix://$work/exec/docker.sock"
export DOCKER_CONFIG="$work/docker-config"
mkdir -p "$DOCKER_CONFIG"
node packages/daemon/dist/main.cjs --host "$TSCR_HOST" --docker-host "$DOCKER_HOST" --root "$work/root" \
  --exec-root "$work/exec" --cgroup-parent tscr-bench-compat >"$work/tscrd.log" 2>&1 &
daemon=$!
for _ in $(seq 100); do $tscr version >/dev/null 2>&1 && [ -S "$work/exec/docker.sock" ] && break; sleep 0.1; done
$tscr image import "$work/busybox.tar" tscr-bench/busybox:latest >/dev/null
IMG=tscr-bench/busybox:latest

hf() { # name, command...
  local name=$1; shift
  hyperfine -N --warmup 3 --runs "$runs" --export-json "$out/$name.json" "$@" >"$out/$name.txt" 2>&1 || {
    echo "bench: $name failed:" >&2; tail -5 "$out/$name.txt" >&2; rm -f "$out/$name.json"; }
}
hf tscr-none "$tscr run --rm --network none $IMG true"
hf compat-none "$docker run --rm --pull never --network none $IMG true"
hf tscr-bridge "$tscr run --rm $IMG true"
hf compat-bridge "$docker run --rm --pull never $IMG true"

node - "$out" <<'EOF'
const fs = require('fs');
const dir = process.argv[2];
const median = (n) => {
  try {
    return JSON.parse(fs.readFileSync(`${dir}/${n}.json`, 'utf8')).results[0].median;
  } catch {
    return undefined;
  }
};
const s = (v) => (v === undefined ? 'n/a' : v.toFixed(3));
const ratio = (a, b) => (a === undefined || b === undefined ? 'n/a' : (a / b).toFixed(2));
const rows = [
  ['no network', median('tscr-none'), median('compat-none'), 0.211],
  ['default bridge', median('tscr-bridge'), median('compat-bridge'), 0.268],
];
console.log('| network | tscr CLI (s) | docker CLI -> tscrd Docker API (s) | compat / tscr | dockerd, same CLI (s, PEERS.md) | compat / dockerd |');
console.log('|---|---|---|---|---|---|');
for (const [name, t, c, d] of rows) console.log(`| ${name} | ${s(t)} | ${s(c)} | ${ratio(c, t)} | ${d} | ${ratio(c, d)} |`);
EOF
