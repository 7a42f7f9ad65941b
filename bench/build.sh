#!/usr/bin/env bash
# Image builds: a 5-step Dockerfile (FROM base, RUN mkdir+echo, COPY, ENV, CMD) on a busybox base, in one run
# against the peers on this machine, each with private storage under a temp dir:
#   cold build          `--no-cache` every run (tscr build / podman build / buildah bud --layers)
#   no-change rebuild   the same build again, everything from the layer cache
# RUN steps use runc and no network everywhere. Prints a markdown table of medians and ratios vs podman;
# raw hyperfine JSON in bench/.bench-out/build-*.json. Needs root, hyperfine, podman, buildah.
# Usage: bash bench/build.sh [--runs N]
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "bench: run as root" >&2; exit 1; }
runs=10
[ "${1:-}" = "--runs" ] && runs=$2
command -v hyperfine >/dev/null || { echo "bench/build.sh: needs hyperfine (scripts/setup.sh --bench)" >&2; exit 1; }

out=bench/.bench-out
mkdir -p "$out"
rm -f "$out"/build-*.json
work=$(mktemp -d /tmp/tscr-bench-build-XXXXXX)
daemon=""
P="podman --root $work/podman-root --runroot $work/podman-run --cgroup-manager cgroupfs --events-backend none"
B="buildah --root $work/buildah-root --runroot $work/buildah-run"
cleanup() {
  [ -n "$daemon" ] && kill "$daemon" 2>/dev/null && { wait "$daemon" 2>/dev/null || true; }
  [ -d "$work/podman-root" ] && { $P system reset -f >/dev/null 2>&1 || true; }
  [ -d "$work/buildah-root" ] && { $B rm --all >/dev/null 2>&1 || true; $B rmi --all --force >/dev/null 2>&1 || true; }
  umount -R "$work" 2>/dev/null || true
  for m in $(grep -o " $work[^ ]*" /proc/self/mountinfo | sort -r); do umount -l "$m" 2>/dev/null || true; done
  rm -rf "$work"
  for c in /sys/fs/cgroup/*/tscr-bench-build; do [ -d "$c" ] && rmdir "$c" 2>/dev/null; done
  true
}
trap cleanup EXIT

bash scripts/busybox-rootfs.sh "$work/busybox.tar" >/dev/null
mkdir -p "$work/ctx"
head -c 65536 /dev/urandom | base64 >"$work/ctx/data.txt"
cat >"$work/ctx/Dockerfile" <<'EOF'
FROM bench-base
RUN mkdir -p /app && echo hello > /app/greeting
COPY data.txt /app/
ENV APP_MODE=bench
CMD ["cat", "/app/greeting"]
EOF

hf() { # name, hyperfine options and command...
  local name=$1; shift
  hyperfine -N --runs "$runs" --export-json "$out/build-$name.json" "$@" >"$out/build-$name.txt" 2>&1 || {
    echo "bench: $name failed:" >&2; tail -5 "$out/build-$name.txt" >&2; rm -f "$out/build-$name.json"; }
}

# tscr: a private daemon for the run.
export TSCR_HOST="unix://$work/exec/tscr.sock"
tscr="node packages/cli/dist/main.cjs"
node packages/daemon/dist/main.cjs --host "$TSCR_HOST" --root "$work/root" --exec-root "$work/exec" \
  --cgroup-parent tscr-bench-build >"$work/tscrd.log" 2>&1 &
daemon=$!
for _ in $(seq 100); do $tscr version >/dev/null 2>&1 && break; sleep 0.1; done
$tscr image import "$work/busybox.tar" bench-base:latest >/dev/null
hf tscr-cold --warmup 1 "$tscr build -q --no-cache -t bench-app $work/ctx"
hf tscr-rebuild --warmup 2 "$tscr build -q -t bench-app $work/ctx"

if command -v podman >/dev/null; then
  printf '[containers]\ndefault_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]\n' >"$work/containers.conf"
  export CONTAINERS_CONF="$work/containers.conf"
  $P import -q "$work/busybox.tar" localhost/bench-base >/dev/null
  hf podman-cold --warmup 1 "$P build -q --no-cache --runtime runc --network none -t bench-app $work/ctx"
  hf podman-rebuild --warmup 2 "$P build -q --runtime runc --network none -t bench-app $work/ctx"
fi
if command -v buildah >/dev/null; then
  ctr=$($B from scratch)
  tar -C "$($B mount "$ctr")" -xf "$work/busybox.tar"
  $B umount "$ctr" >/dev/null
  $B commit -q "$ctr" localhost/bench-base >/dev/null
  $B rm "$ctr" >/dev/null
  hf buildah-cold --warmup 1 "$B bud -q --layers --no-cache --runtime runc --network none -t bench-app $work/ctx"
  hf buildah-rebuild --warmup 2 "$B bud -q --layers --runtime runc --network none -t bench-app $work/ctx"
fi

node - "$out" <<'EOF'
const { existsSync, readFileSync } = require('node:fs');
const dir = process.argv[2];
const get = (k) => {
  const f = `${dir}/build-${k}.json`;
  return existsSync(f) ? JSON.parse(readFileSync(f, 'utf8')).results[0] : undefined;
};
const ms = (s) => (s * 1000).toFixed(0);
console.log('| build (5 steps, busybox base) | tscr median ms (min–max) | podman build | buildah bud --layers | tscr / podman |');
console.log('|---|---|---|---|---|');
for (const [k, label] of [['cold', 'cold (`--no-cache`)'], ['rebuild', 'no-change rebuild (all cached)']]) {
  const t = get(`tscr-${k}`), p = get(`podman-${k}`), b = get(`buildah-${k}`);
  const cell = (r) => (r ? `${ms(r.median)} (${ms(r.min)}–${ms(r.max)})` : 'failed or not installed');
  const ratio = t && p ? `${(t.median / p.median).toFixed(2)}×` : '–';
  console.log(`| ${label} | ${cell(t)} | ${cell(p)} | ${cell(b)} | ${ratio} |`);
}
console.log('\nGoals: cold build ≤ podman (1.00×); no-change rebuild ≤ half of podman (0.50×).');
EOF
