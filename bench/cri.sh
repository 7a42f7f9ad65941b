#!/usr/bin/env bash
# Kubernetes CRI lifecycle latencies, `critest --benchmark` (cri-tools v1.32.0), in one run against:
#   tscr         a private tscrd serving the CRI on a private socket (registry.k8s.io and gcr.io mirrored to
#                the loopback registry of cri-tools' prepare.sh, pause image from there)
#   containerd   Debian's containerd 1.6 with its CRI plugin and runc, started by cri-tools' `containerd.sh start`
#                and stopped afterwards (only when this script started it)
# Prints a markdown table of mean latencies (pod and container create/status/stop/remove, image pull/list/remove)
# with tscr/containerd ratios; raw JSON lands in bench/.bench-out/cri/.
# Needs root and the cri-tools folder (CRI_TOOLS, default ../shared/tools/cri-tools next to the repository).
# Usage: bash bench/cri.sh
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "bench: run as root" >&2; exit 1; }
repo=$(pwd)
tools=${CRI_TOOLS:-}
if [ -z "$tools" ]; then
  for t in "$repo/../shared/tools/cri-tools" "$repo/../../shared/tools/cri-tools" /work/shared/tools/cri-tools; do
    [ -x "$t/critest" ] && tools=$(cd "$t" && pwd) && break
  done
fi
[ -n "$tools" ] && [ -x "$tools/critest" ] || { echo "bench: no cri-tools (set CRI_TOOLS)" >&2; exit 1; }
params=${CRI_OFFLINE_OUT:-/var/lib/cri-offline}/benchmark-params.yaml

out=bench/.bench-out/cri
rm -rf "$out" && mkdir -p "$out/tscr" "$out/containerd"
work=$(mktemp -d /tmp/tscr-bench-cri-XXXXXX)
daemon=""
started_containerd=""
crictl() { "$tools/crictl" --config /dev/null --runtime-endpoint "unix://$work/exec/cri.sock" "$@"; }
cleanup() {
  if [ -n "$daemon" ]; then
    crictl pods -q 2>/dev/null | xargs -r "$tools/crictl" --config /dev/null --runtime-endpoint "unix://$work/exec/cri.sock" stopp >/dev/null 2>&1 || true
    crictl pods -q 2>/dev/null | xargs -r "$tools/crictl" --config /dev/null --runtime-endpoint "unix://$work/exec/cri.sock" rmp >/dev/null 2>&1 || true
    kill "$daemon" 2>/dev/null && { wait "$daemon" 2>/dev/null || true; }
  fi
  if [ -n "$started_containerd" ]; then
    bash "$tools/containerd.sh" stop >/dev/null 2>&1 || true
    ip link del cni-critest0 2>/dev/null || true # the CNI bridge its pods made
  fi
  umount -R "$work" 2>/dev/null || true
  rm -rf "$work"
  for c in /sys/fs/cgroup/*/tscr-bench-cri; do [ -d "$c" ] && rmdir "$c" 2>/dev/null; done
  true
}
trap cleanup EXIT

(cd /tmp && bash "$tools/prepare.sh" >"$repo/$out/prepare.log" 2>&1) || { echo "bench: prepare.sh failed, see $out/prepare.log" >&2; exit 1; }

bench() { # name endpoint
  (cd "$work" && TMPDIR=$work "$tools/critest" --runtime-endpoint "$2" --image-endpoint "$2" --benchmark \
    --benchmarking-params-file "$params" --benchmarking-output-dir "$repo/$out/$1" \
    --ginkgo.no-color >"$repo/$out/$1.log" 2>&1) || echo "bench: critest --benchmark against $1 failed, see $out/$1.log" >&2
  { grep -E 'Ran [0-9]+ of [0-9]+ Specs|SUCCESS!|FAIL!' "$out/$1.log" || true; } | tr '\n' ' ' | sed "s/^/$1: /"; echo
}

# tscr
cat >"$work/tscrd.json" <<JSON
{ "networkPool": "10.$((100 + RANDOM % 40)).0.0/16",
  "mirrors": { "registry.k8s.io": ["http://127.0.0.1:5100"], "gcr.io": ["http://127.0.0.1:5100"] },
  "criSandboxImage": "127.0.0.1:5100/cri-offline/pause:1.0" }
JSON
node packages/daemon/dist/main.cjs --config "$work/tscrd.json" --host "unix://$work/exec/tscr.sock" \
  --root "$work/root" --exec-root "$work/exec" --cgroup-parent tscr-bench-cri --no-docker-api \
  --cri-host "unix://$work/exec/cri.sock" >"$work/tscrd.log" 2>&1 &
daemon=$!
for _ in $(seq 100); do crictl version >/dev/null 2>&1 && break; sleep 0.1; done
crictl pull 127.0.0.1:5100/cri-offline/pause:1.0 >/dev/null
bench tscr "unix://$work/exec/cri.sock"
crictl pods -q | xargs -r "$tools/crictl" --config /dev/null --runtime-endpoint "unix://$work/exec/cri.sock" stopp >/dev/null 2>&1 || true
kill "$daemon" && { wait "$daemon" 2>/dev/null || true; }
daemon=""

# containerd (the reference)
if bash "$tools/containerd.sh" status >/dev/null 2>&1; then
  echo "bench: a containerd started by containerd.sh is already running; using it" >&2
else
  bash "$tools/containerd.sh" start >"$out/containerd-start.log" 2>&1 || { echo "bench: containerd.sh start failed" >&2; exit 1; }
  started_containerd=1
fi
bench containerd "unix:///run/containerd/containerd.sock"

node bench/cri-report.mjs "$out/tscr" "$out/containerd"
