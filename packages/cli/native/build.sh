#!/usr/bin/env bash
# Builds the `tscr` bin at $1 (dist/tscr): the native client (native/tscr-client.c), static and stripped, so it
# runs on any Linux of the same architecture. Rebuilds only when a source is newer than the binary (or $1 is not
# a binary). Without a C compiler, or not on Linux, $1 becomes a copy of dist/main.cjs (today's bin), so the bin
# always works; native/install.cjs does the same at install time where the binary cannot run.
set -euo pipefail
out=$1
src=$(cd "$(dirname "$0")" && pwd)
elf() { [ "$(head -c 4 "$1" 2>/dev/null | od -An -tx1 | tr -d ' \n')" = 7f454c46 ]; }
if [ -x "$out" ] && elf "$out" && [ -z "$(find "$src" -name '*.[ch]' -newer "$out" -print -quit)" ]; then exit 0; fi
mkdir -p "$(dirname "$out")"
cc=${CC:-cc}
if [ "$(uname -s)" != Linux ] || ! command -v "$cc" >/dev/null; then
  echo "native/build.sh: no C compiler or not Linux: $out is a copy of dist/main.cjs" >&2
  cp "$(dirname "$out")/main.cjs" "$out.tmp" && chmod 755 "$out.tmp" && mv "$out.tmp" "$out"
  exit 0
fi
"$cc" -static -s -O2 -Wall -Wextra -o "$out.tmp" "$src"/*.c
mv "$out.tmp" "$out"
