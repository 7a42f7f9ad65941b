#!/usr/bin/env bash
# Latency of a trivial container, start to exit, in one run against the peers on this machine:
#   tscr CLI        `tscr run --rm --network none IMG true` from CLI start to exit (hyperfine)
#   tscr API        create/start/wait/remove through the gRPC client from a warm Node process
#   runc / crun     `runc run` / `crun run` on an equivalent bundle (busybox rootfs, runc spec, no network)
#   podman          `podman run --rm --network none IMG true` (runc and default crun) where installed
# Prints a markdown table of medians and ratios; raw hyperfine JSON lands in bench/.bench-out/.
# Needs root. Usage: npm run bench [-- --runs N]
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "bench: run as root" >&2; exit 1; }
runs=20
[ "${1:-}" = "--runs" ] && runs=$2
bash scripts/setup.sh --bench >/dev/null

out=bench/.bench-out
rm -rf "$out" && mkdir -p "$out"
work=$(mktemp -d /tmp/tscr-bench-XXXXXX)
daemon=""
cleanup() {
  [ -n "$daemon" ] && kill "$daemon" 2>/dev/null && { wait "$daemon" 2>/dev/null || true; }
  for r in runc crun; do "$r" --root "$work/$r-root" delete -f "bench-$r" >/dev/null 2>&1 || true; done
  if [ -d "$work/podman-root" ]; then
    podman --root "$work/podman-root" --runroot "$work/podman-run" system reset -f >/dev/null 2>&1 || true
  fi
  umount -R "$work" 2>/dev/null || true
  rm -rf "$work"
  for c in /sys/fs/cgroup/*/tscr-bench; do [ -d "$c" ] && rmdir "$c" 2>/dev/null; done
  true
}
trap cleanup EXIT

bash scripts/busybox-rootfs.sh "$work/busybox.tar" >/dev/null

# tscr: a private daemon for the run.
export TSCR_HOST="unix://$work/exec/tscr.sock"
tscr="node packages/cli/dist/main.cjs"
node packages/daemon/dist/main.cjs --host "$TSCR_HOST" --root "$work/root" --exec-root "$work/exec" \
  --cgroup-parent tscr-bench >"$work/tscrd.log" 2>&1 &
daemon=$!
for _ in $(seq 100); do $tscr version >/dev/null 2>&1 && break; sleep 0.1; done
$tscr image import "$work/busybox.tar" tscr-bench/busybox:latest >/dev/null
IMG=tscr-bench/busybox:latest

# Raw OCI runtimes on an equivalent bundle.
mkdir -p "$work/bundle/rootfs"
tar -C "$work/bundle/rootfs" -xf "$work/busybox.tar"
(cd "$work/bundle" && runc spec && node -e '
  const fs = require("fs"); const c = JSON.parse(fs.readFileSync("config.json"));
  c.process.terminal = false; c.process.args = ["true"]; c.linux.cgroupsPath = "/tscr-bench/raw";
  fs.writeFileSync("config.json", JSON.stringify(c));')

hf() { # name, command...
  local name=$1; shift
  hyperfine -N --warmup 3 --runs "$runs" --export-json "$out/$name.json" "$@" >"$out/$name.txt" 2>&1 || {
    echo "bench: $name failed:" >&2; tail -5 "$out/$name.txt" >&2; rm -f "$out/$name.json"; }
}
hf runc "runc --root $work/runc-root run --bundle $work/bundle bench-runc"
hf crun "crun --root $work/crun-root run --bundle $work/bundle bench-crun"
hf tscr-cli "$tscr run --rm --network none $IMG true"
node bench/api-latency.mjs --runs "$runs" --image "$IMG" --out "$out/tscr-api.json"

if command -v podman >/dev/null; then
  # Values that work here (no CAP_SYS_RESOURCE; see shared/PEERS.md).
  printf '[containers]\ndefault_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]\n' >"$work/containers.conf"
  export CONTAINERS_CONF="$work/containers.conf"
  P="podman --root $work/podman-root --runroot $work/podman-run --cgroup-manager cgroupfs --events-backend none"
  $P import -q "$work/busybox.tar" localhost/bench-busybox >/dev/null
  hf podman-runc "$P run --rm --runtime runc --network none localhost/bench-busybox true"
  hf podman-crun "$P run --rm --network none localhost/bench-busybox true"
fi

node bench/report.mjs "$out"
bash bench/pull.sh || echo "bench: the pull benchmark (bench/pull.sh) failed or lacks docker-registry/skopeo" >&2
bash bench/transfer.sh || echo "bench: the transfer benchmark (bench/transfer.sh) failed or lacks docker-registry/skopeo" >&2
bash bench/containers.sh || echo "bench: the 50-containers benchmark (bench/containers.sh) failed" >&2
bash bench/scale.sh || echo "bench: the 500-containers benchmark (bench/scale.sh) failed" >&2
bash bench/idle-rss.sh || echo "bench: the idle RSS benchmark (bench/idle-rss.sh) failed" >&2
bash bench/run-path.sh --runs "$runs" --par 50 || echo "bench: the run-path breakdown (bench/run-path.sh) failed" >&2
node bench/grpc-call.mjs --json "$out/grpc-call.json" || echo "bench: the per-call gRPC benchmark (bench/grpc-call.mjs) failed" >&2
bash bench/network.sh --runs "$runs" || echo "bench: the network benchmark (bench/network.sh) failed" >&2
bash bench/network-plugins.sh --runs "$runs" || echo "bench: the network driver benchmark (bench/network-plugins.sh) failed" >&2
bash bench/build.sh || echo "bench: the build benchmark (bench/build.sh) failed or lacks podman/buildah" >&2
bash bench/compat.sh --runs "$runs" || echo "bench: the Docker API benchmark (bench/compat.sh) failed" >&2
bash bench/cli.sh --runs "$runs" || echo "bench: the CLI start-up benchmark (bench/cli.sh) failed" >&2
node bench/cli-host.mjs --runs "$runs" || echo "bench: the CLI host benchmark (bench/cli-host.mjs) failed" >&2
bash bench/cli-client.sh || echo "bench: the native tscr client benchmark (bench/cli-client.sh) failed" >&2
bash bench/packaging.sh --runs "$runs" || echo "bench: the packaging benchmark (bench/packaging.sh) failed" >&2
bash bench/abuse.sh || echo "bench: the API abuse figures (bench/abuse.sh) failed or lack docker-registry" >&2
bash bench/recovery.sh || echo "bench: the crash-recovery benchmark (bench/recovery.sh) failed" >&2
bash bench/compose.sh || echo "bench: the compose benchmark (bench/compose.sh) failed or lacks docker-compose" >&2
bash bench/cri.sh || echo "bench: the CRI benchmark (bench/cri.sh) failed or lacks the cri-tools" >&2
bash bench/plugins.sh --runs "$runs" || echo "bench: the volume plug-in benchmark (bench/plugins.sh) failed" >&2
node bench/authz.mjs --runs 200 || echo "bench: the authorization plugin benchmark (bench/authz.mjs) failed" >&2
