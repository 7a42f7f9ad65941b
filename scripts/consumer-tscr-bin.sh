#!/usr/bin/env bash
# Part of scripts/consumer-check.sh: the installed @tscr/cli's `tscr` is the native client (packages/cli/native) on
# linux-x64 and works: through the CLI host when the package has one (dist/cli-host.cjs), else by falling back to
# dist/main.cjs. The host it starts lives in $TMP/clihost; consumer-check.sh ends it by its pid file.
# Usage: scripts/consumer-tscr-bin.sh APP TMP
set -euo pipefail
app=$1 tmp=$2
tscr=$app/node_modules/.bin/tscr
pkg=$app/node_modules/@tscr/cli
fail() { echo "consumer-check: $*" >&2; exit 1; }
elf() { [ "$(head -c 4 "$1" | od -An -tx1 | tr -d ' \n')" = 7f454c46 ]; }

# What `npm install` runs (the check installs with --ignore-scripts): keeps a client that runs, else puts main.cjs.
node "$pkg/native/install.cjs"
if [ "$(uname -s)-$(uname -m)" != Linux-x86_64 ]; then
  cmp -s "$pkg/dist/tscr" "$pkg/dist/main.cjs" || fail "install.cjs did not make tscr dist/main.cjs on $(uname -sm)"
else
  elf "$(readlink -f "$tscr")" || fail "the installed tscr is not the native client"
fi

export TSCR_CLI_HOST_DIR=$tmp/clihost TSCR_HOST=unix://$tmp/tscr-test-no-daemon.sock
run() { "$@" 2>&1 && echo "exit 0" || echo "exit $?"; }
want=$(TSCR_CLI_HOST=0 run "$tscr" version)
grep -q '^Client:' <<<"$want" || fail "tscr version (no host) printed: $want"
[ "$(run "$tscr" version)" = "$want" ] || fail "tscr version differs from its fallback's"
if [ -f "$pkg/dist/cli-host.cjs" ]; then
  for _ in $(seq 100); do compgen -G "$TSCR_CLI_HOST_DIR/cli-*.pid" >/dev/null && break; sleep 0.1; done
  compgen -G "$TSCR_CLI_HOST_DIR/cli-*.pid" >/dev/null || fail "tscr started no CLI host: $(cat "$TSCR_CLI_HOST_DIR"/cli-*.log)"
  # Without node on PATH the fallback (#!/bin/sh ... exec node) cannot run: this one must go through the host.
  [ "$(PATH=/nonexistent run "$tscr" version)" = "$want" ] || fail "the second tscr version did not go through the host"
  echo "consumer-check: the installed tscr is the native client; its second call went through the CLI host"
else
  [ ! -e "$TSCR_CLI_HOST_DIR" ] || fail "tscr made $TSCR_CLI_HOST_DIR without a host to start"
  echo "consumer-check: the installed tscr is the native client; no dist/cli-host.cjs: it fell back to dist/main.cjs"
fi
