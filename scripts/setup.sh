#!/usr/bin/env bash
# Installs what tscr needs on a Debian/Ubuntu machine, as root, idempotently:
#   system packages (OCI runtimes, the conmon monitor, busybox-static for test images, protoc,
#   zstd for zstd layers, and for the registry tests: Debian's docker-registry, htpasswd, openssl, skopeo, curl),
#   npm dependencies, and the build of every package.
# Usage: scripts/setup.sh [--bench]   (--bench adds hyperfine for the benchmarks; podman/buildah/skopeo are for
#   the archive interop tests and the benchmarks; containerd, never started here, is bench/cri.sh's reference)
set -euo pipefail
cd "$(dirname "$0")/.."

want=(runc crun conmon busybox-static protobuf-compiler iproute2 iptables util-linux e2fsprogs tar attr zstd docker-registry apache2-utils openssl skopeo curl tini catatonit gcc libc6-dev docker-compose podman buildah)
[ "${1:-}" = "--bench" ] && want+=(hyperfine containerd)   # containerd: the reference of bench/cri.sh (started and stopped there)

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
  # (--force-confold: keep config files already there, e.g. a containerd config written by cri-tools' scripts)
  apt-get install -y -q --no-install-recommends -o Dpkg::Options::=--force-confold "${missing[@]}" >/dev/null
fi

# npm dependencies: a clean install from the lock file when they are missing or stale.
stamp=node_modules/.tscr-lock-hash
hash=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$hash" ]; then
  echo "setup: npm ci"
  npm ci --no-audit --no-fund --loglevel=error
  echo "$hash" > "$stamp"
fi

# The stdio relay (attach, TTY exec): a small C program, rebuilt when its source changes.
relay_src=packages/runtime/native/relay relay_bin=packages/runtime/native/build/tscr-relay
if [ ! -x "$relay_bin" ] || [ -n "$(find "$relay_src" -newer "$relay_bin" -print -quit)" ]; then
  echo "setup: building $relay_bin"
  mkdir -p "$(dirname "$relay_bin")"
  gcc -O2 -Wall -Wextra -o "$relay_bin" "$relay_src"/*.c
fi

# Debian's docker 20.10 client (API 1.41) for the Docker API tests: only /usr/bin/docker out of the docker.io
# package, which would otherwise bring dockerd and containerd along. No Docker daemon is installed or run.
docker20=node_modules/.tscr-tools/docker-20.10/docker
if [ ! -x "$docker20" ] && [ "$(id -u)" = 0 ]; then
  echo "setup: extracting the docker 20.10 client"
  tmp=$(mktemp -d)
  (cd "$tmp" && apt-get download -q docker.io >/dev/null && dpkg-deb -x docker.io_*.deb x)
  mkdir -p "$(dirname "$docker20")"
  cp "$tmp/x/usr/bin/docker" "$docker20"
  rm -rf "$tmp"
fi

echo "setup: building packages"
npm run build --silent >/dev/null

# tscr and tscrd as commands: npm links a workspace's bin only if its file exists at install time (the build
# makes it), so link them now into node_modules/.bin, and onto PATH: into $TSCR_BIN_DIR (default /usr/local/bin
# when writable; TSCR_BIN_DIR= turns it off).
npm rebuild --ignore-scripts --silent @tscr/cli @tscr/daemon >/dev/null
bindir=${TSCR_BIN_DIR-/usr/local/bin}
if [ -n "$bindir" ] && [ -d "$bindir" ] && [ -w "$bindir" ]; then
  ln -sfn "$PWD/packages/cli/dist/tscr" "$bindir/tscr"
  ln -sfn "$PWD/packages/daemon/dist/main.cjs" "$bindir/tscrd"
  echo "setup: tscr and tscrd linked into $bindir"
fi
echo "setup: done"
