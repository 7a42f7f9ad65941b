#!/usr/bin/env bash
# `up -d` and `down` of the three-service app of issue 12 (web: busybox httpd on a named volume and a published
# port; db: a healthcheck; worker: depends on db healthy and web, fetches http://web/ and exits), images present,
# in one run on this machine:
#   tscr compose           -> tscrd's gRPC API
#   docker-compose 1.29    -> tscrd's Docker API socket (the same private daemon)
# Each `up -d` is timed after a `down` (prepare), each `down` after an `up -d`. Prints a markdown table of medians
# and the tscr/docker-compose ratio (goal: <= 0.5). Needs root. Usage: bash bench/compose.sh [--runs N]
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "bench: run as root" >&2; exit 1; }
runs=10
[ "${1:-}" = "--runs" ] && runs=$2
command -v hyperfine >/dev/null || bash scripts/setup.sh --bench >/dev/null
command -v docker-compose >/dev/null || { echo "bench: no docker-compose (scripts/setup.sh)" >&2; exit 1; }

out=bench/.bench-out/compose
rm -rf "$out" && mkdir -p "$out"
work=$(mktemp -d /tmp/tscr-bench-compose-XXXXXX)
daemon=""
tscr="node $PWD/packages/cli/dist/main.cjs"
cleanup() {
  if [ -n "$daemon" ]; then
    (cd "$work/app" && $tscr compose -p benchtscr down -v -t 1 >/dev/null 2>&1) || true
    (cd "$work/app" && docker-compose -p benchdc down -v -t 1 >/dev/null 2>&1) || true
    for c in $($tscr ps -aq 2>/dev/null); do $tscr rm -f "$c" >/dev/null 2>&1 || true; done
    kill "$daemon" 2>/dev/null && { wait "$daemon" 2>/dev/null || true; }
  fi
  umount -R "$work" 2>/dev/null || true
  rm -rf "$work"
  for c in /sys/fs/cgroup/*/tscr-bench-compose; do [ -d "$c" ] && rmdir "$c" 2>/dev/null; done
  true
}
trap cleanup EXIT

bash scripts/busybox-rootfs.sh "$work/busybox.tar" >/dev/null
export TSCR_HOST="unix://$work/exec/tscr.sock"
export DOCKER_HOST="unix://$work/exec/docker.sock"
export DOCKER_CONFIG="$work/docker-config"
mkdir -p "$DOCKER_CONFIG" "$work/app"
echo "{\"networkPool\": \"10.$((200 + RANDOM % 50)).0.0/16\"}" >"$work/tscrd.json"
node packages/daemon/dist/main.cjs --config "$work/tscrd.json" --host "$TSCR_HOST" --docker-host "$DOCKER_HOST" \
  --root "$work/root" --exec-root "$work/exec" --cgroup-parent tscr-bench-compose >"$work/tscrd.log" 2>&1 &
daemon=$!
for _ in $(seq 100); do $tscr version >/dev/null 2>&1 && [ -S "$work/exec/docker.sock" ] && break; sleep 0.1; done
$tscr image import "$work/busybox.tar" tscr-bench/busybox:latest >/dev/null
IMG=tscr-bench/busybox:latest

cat >"$work/app/compose.yaml" <<YAML
services:
  web:
    image: $IMG
    init: true
    command: ["sh", "-c", "echo hello > /www/index.html && exec httpd -f -p 80 -h /www"]
    volumes: ["webdata:/www"]
    ports: ["127.0.0.1::80"]
  db:
    image: $IMG
    init: true
    command: ["sleep", "1000"]
    healthcheck:
      test: ["CMD", "true"]
      interval: 200ms
      retries: 20
  worker:
    image: $IMG
    init: true
    command: ["sh", "-c", "timeout 2 wget -q -O - http://web/ || true"]
    depends_on:
      db:
        condition: service_healthy
      web:
        condition: service_started
volumes:
  webdata: {}
YAML

# Both tools run in the project directory (hyperfine -N runs commands without a shell).
T="$tscr compose -p benchtscr --progress quiet"
D="docker-compose -p benchdc --ansi never"
cd "$work/app"
out="$OLDPWD/$out"
hf() { # name, prepare, command
  local name=$1 prepare=$2 cmd=$3
  hyperfine -N --warmup 1 --runs "$runs" --prepare "$prepare" --export-json "$out/$name.json" "$cmd" >"$out/$name.txt" 2>&1 ||
    { echo "bench: $name failed:" >&2; tail -5 "$out/$name.txt" >&2; rm -f "$out/$name.json"; }
}
hf tscr-up "$T down -v -t 1" "$T up -d"
hf tscr-down "$T up -d" "$T down -v -t 1"
$T down -v -t 1 >/dev/null 2>&1 || true
hf dc-up "$D down -v -t 1" "$D up -d"
hf dc-down "$D up -d" "$D down -v -t 1"
cd "$OLDPWD"

node - "$out" <<'NODE'
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
console.log('| three-service app, images present | tscr compose (s) | docker-compose 1.29 -> tscrd Docker API (s) | tscr / docker-compose (goal <= 0.5) |');
console.log('|---|---|---|---|');
for (const [label, k] of [['`up -d`', 'up'], ['`down -v`', 'down']]) {
  const t = median(`tscr-${k}`);
  const d = median(`dc-${k}`);
  console.log(`| ${label} | ${s(t)} | ${s(d)} | ${ratio(t, d)} |`);
}
NODE
