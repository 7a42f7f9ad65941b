#!/usr/bin/env bash
# Builds tscr-relay as a static, stripped binary at $1 (for the prebuilt per-platform packages,
# @tscr/relay-<platform>-<arch>) from native/relay/*.c. Rebuilds only when a source is newer.
set -euo pipefail
out=$1
src=$(dirname "$0")/relay
if [ -x "$out" ] && [ -z "$(find "$src" -newer "$out" -print -quit)" ]; then exit 0; fi
mkdir -p "$(dirname "$out")"
${CC:-cc} -static -s -O2 -Wall -Wextra -o "$out" "$src"/*.c
