#!/usr/bin/env bash
# Installs what tscr needs on a Debian/Ubuntu machine, as root, idempotently:
#   system packages (OCI runtimes, the conmon monitor, busybox-static for test images, protoc,
#   zstd for zstd layers, and for the registry tests: Debian's docker-registry, htpasswd, openssl, skopeo, curl),
#   npm dependencies, and the build of every package.
# Usage: scripts/setup.sh [--bench]   (--bench adds hyperfine and podman for the benchmarks)
set -euo pipefail
cd "$(dirname "$0")/.."

want=(runc crun conmon busybox-static protobuf-compiler iproute2 tar attr zstd docker-registry apache2-utils openssl skopeo curl)
[ "${1:-}" = "--bench" ] && want+=(hyperfine podman)

missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "setup: missing system packages (${missing[*]}); run as root to install them" >&2
    exit 1
  fi
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >/dev/null
  apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
fi

# npm dependencies: a clean install from the lock file when they are missing or stale.
stamp=node_modules/.tscr-lock-hash
hash=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$hash" ]; then
  echo "setup: npm ci"
  npm ci --no-audit --no-fund --loglevel=error
  echo "$hash" > "$stamp"
fi

echo "setup: building packages"
npm run build --silent >/dev/null
echo "setup: done"
