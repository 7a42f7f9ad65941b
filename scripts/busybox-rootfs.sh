#!/usr/bin/env bash
# Builds a minimal root filesystem from Debian's busybox-static and writes it as a tar:
# the binary, one symlink per applet in /bin, /etc/passwd and /etc/group (root, nobody,
# and a user `tscr` with uid 1000), and the usual empty mount points.
# Usage: scripts/busybox-rootfs.sh OUT.tar | --dir DIR
set -euo pipefail
bb=/bin/busybox
[ -x "$bb" ] || { echo "$bb is missing: run scripts/setup.sh (installs busybox-static)" >&2; exit 1; }
if [ "${1:-}" = "--dir" ]; then dir=$2; out=""; else out=${1:?usage: busybox-rootfs.sh OUT.tar | --dir DIR}; dir=$(mktemp -d); fi
mkdir -p "$dir"/{bin,etc,proc,sys,dev,tmp,root,var,home/tscr}
chmod 755 "$dir"
chmod 1777 "$dir/tmp"
cp "$bb" "$dir/bin/busybox"
chmod 755 "$dir/bin/busybox"
for applet in $("$bb" --list); do
  [ "$applet" = busybox ] || ln -sf busybox "$dir/bin/$applet"
done
printf '%s\n' 'root:x:0:0:root:/root:/bin/sh' 'nobody:x:65534:65534:nobody:/nonexistent:/bin/false' \
  'tscr:x:1000:1000:tscr:/home/tscr:/bin/sh' > "$dir/etc/passwd"
printf '%s\n' 'root:x:0:' 'nogroup:x:65534:' 'tscr:x:1000:' > "$dir/etc/group"
if [ -n "$out" ]; then
  tar --numeric-owner -C "$dir" -cf "$out" .
  rm -rf "$dir"
  echo "$out"
else
  echo "$dir"
fi
