#!/usr/bin/env bash
# The bundled example daemon, end to end, on a fresh Debian/Ubuntu machine as root:
# installs what is missing, builds, starts tscrd, imports a busybox-static base image,
# runs a container through the CLI and prints its output. Stops the daemon at the end
# unless --keep is given (then it keeps serving on the socket below).
set -euo pipefail
cd "$(dirname "$0")/../.."
[ "$(id -u)" = 0 ] || { echo "run as root: containers need namespaces, mounts and cgroups" >&2; exit 1; }

bash scripts/setup.sh

root=${TSCR_ROOT:-/var/lib/tscr}
execroot=${TSCR_EXEC_ROOT:-/run/tscr}
sock=${TSCR_SOCKET:-$execroot/tscr.sock}
export TSCR_HOST="unix://$sock"
tscrd="node packages/daemon/dist/main.cjs"
tscr="node packages/cli/dist/main.cjs"

started=""
if ! $tscr version >/dev/null 2>&1; then
  mkdir -p "$execroot"
  $tscrd --host "$TSCR_HOST" --root "$root" --exec-root "$execroot" >"$execroot/tscrd.log" 2>&1 &
  started=$!
  for _ in $(seq 100); do $tscr version >/dev/null 2>&1 && break; sleep 0.1; done
  echo "== tscrd started (pid $started, log $execroot/tscrd.log)"
fi
cleanup() { if [ -n "$started" ] && [ "${1:-}" != "--keep" ]; then kill "$started" 2>/dev/null || true; wait "$started" 2>/dev/null || true; fi; }
trap 'cleanup "${KEEP:-}"' EXIT
[ "${1:-}" = "--keep" ] && KEEP=--keep

work=$(mktemp -d)
bash scripts/busybox-rootfs.sh "$work/busybox.tar" >/dev/null
echo "== tscr image import busybox.tar busybox:demo"
$tscr image import "$work/busybox.tar" busybox:demo
rm -rf "$work"
echo "== tscr images"
$tscr images
echo "== tscr run --rm busybox:demo sh -c 'echo hello from a tscr container; uname -n; id'"
$tscr run --rm busybox:demo sh -c 'echo hello from a tscr container; uname -n; id'
echo "== tscr version"
$tscr version
