#!/usr/bin/env bash
# The native `tscr` client's own cost (packages/cli/native/tscr-client.c), in one hyperfine -N run:
#   static no-op                 exec of a static C program that returns at once: the floor of any native bin
#   tscr version (fake host)     dist/tscr against a trivial host that answers every request at once (no daemon):
#                                the client's whole round trip (start, request with the environment, relay, exit)
#   tscr version (CLI host)      dist/tscr served by the real host (dist/cli-host.cjs), when the build has one
#   tscr version (fallback)      dist/tscr without a host: it execs dist/main.cjs (what an unhosted command pays)
#   main.cjs version             the Node bin itself
#   node -e 0                    Node (with this environment's NODE_EXTRA_CA_CERTS, if set, which the bins defer)
# and perf stat's task-clock of the client's process alone against the no-op (its own CPU, without the host's).
# The daemon is a private tscrd; the hosts live in this run's own TSCR_CLI_HOST_DIR and are ended by PID.
# Prints a markdown table; raw hyperfine JSON in bench/.bench-out/cli-client/. Needs root and a built CLI and daemon.
# Usage: bash bench/cli-client.sh [--runs N] (N runs of the Node rows, 5N of the native ones; default 200)
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "bench: run as root" >&2; exit 1; }
runs=200
[ "${1:-}" = "--runs" ] && runs=$2
command -v hyperfine >/dev/null || bash scripts/setup.sh --bench >/dev/null
dist=$PWD/packages/cli/dist
[ -x "$dist/tscr" ] || { echo "bench: build the CLI first (npm run build)" >&2; exit 1; }
out=bench/.bench-out/cli-client
rm -rf "$out" && mkdir -p "$out"
work=$(mktemp -d /tmp/tscr-bench-cliclient-XXXXXX)
daemon=""
cleanup() {
  set +e
  for f in "$work"/clihost*/cli-*.pid; do [ -f "$f" ] && kill "$(cat "$f")"; done
  [ -n "$daemon" ] && kill "$daemon" && wait "$daemon"
  umount -R "$work" 2>/dev/null
  rm -rf "$work"
  for c in /sys/fs/cgroup/*/tscr-bench-cliclient; do [ -d "$c" ] && rmdir "$c"; done
  true
} 2>/dev/null
trap cleanup EXIT

export TSCR_HOST="unix://$work/exec/tscr.sock" XDG_CACHE_HOME="$work/cache"
packages/daemon/dist/main.cjs --host "$TSCR_HOST" --root "$work/root" --exec-root "$work/exec" \
  --cgroup-parent tscr-bench-cliclient --no-cri >"$work/tscrd.log" 2>&1 &
daemon=$!
for _ in $(seq 100); do "$dist/main.cjs" version >/dev/null 2>&1 && break; sleep 0.1; done

# A static no-op; the client beside a trivial host (its first call starts the host and falls back to a stub).
printf 'int main(void) { return 0; }\n' | ${CC:-cc} -static -s -O2 -x c -o "$work/noop" -
mkdir -p "$work/fake" "$work/fallback" "$work/clihost-fake" "$work/clihost"
chmod 700 "$work/clihost-fake" "$work/clihost"
cp "$dist/tscr" "$work/fake/tscr"
printf '#!/bin/sh\necho "tscr-bench: fell back" >&2; exit 3\n' >"$work/fake/main.cjs"
cat >"$work/fake/cli-host.cjs" <<JS
#!$(command -v node)
const fs = require('node:fs'), net = require('node:net');
const sock = process.argv[process.argv.indexOf('--socket') + 1];
const frame = (t, b) => { const h = Buffer.alloc(5); h.write(t, 0, 'latin1'); h.writeUInt32BE(b.length, 1); return Buffer.concat([h, b]); };
const answer = Buffer.concat([frame('A', Buffer.alloc(0)), frame('1', Buffer.from('tscr-bench fake host\n')), frame('X', Buffer.from([0]))]);
try { fs.unlinkSync(sock); } catch {}
net.createServer((c) => {
  let n = 0;
  c.on('data', (d) => { n += d.length; if (n >= 5) c.end(answer); });
  c.on('error', () => {});
}).listen(sock, () => fs.writeFileSync(sock.replace(/\.sock\$/, '.pid'), String(process.pid)));
JS
chmod 755 "$work/fake/main.cjs" "$work/fake/cli-host.cjs"
# The fallback: the build without a host file.
cp -r "$dist/." "$work/fallback/" && rm -f "$work/fallback/cli-host.cjs"

TSCR_CLI_HOST_DIR=$work/clihost-fake "$work/fake/tscr" version 2>/dev/null || true
for _ in $(seq 100); do [ "$(TSCR_CLI_HOST_DIR=$work/clihost-fake "$work/fake/tscr" version 2>/dev/null)" = "tscr-bench fake host" ] && break; sleep 0.05; done

# hyperfine -N runs no shell: the host directory goes in the environment of hyperfine itself, per run below.
hf() { # name, runs, hyperfine args...
  local name=$1 n=$2; shift 2
  hyperfine -N --warmup 10 --runs "$n" --export-json "$out/$name.json" "$@" \
    >"$out/$name.txt" 2>&1 || { echo "bench: $name failed:" >&2; tail -5 "$out/$name.txt" >&2; }
}
TSCR_CLI_HOST_DIR=$work/clihost-fake hf native $((runs * 5)) -n "static no-op" "$work/noop" -n "tscr version (fake host)" "$work/fake/tscr version"
rows=(-n "tscr version (fallback)" "$work/fallback/tscr version" -n "main.cjs version" "$dist/main.cjs version"
  -n "node -e 0" "node -e 0" -n "node -e 0 (no NODE_EXTRA_CA_CERTS)" "env -u NODE_EXTRA_CA_CERTS node -e 0")
if [ -f "$dist/cli-host.cjs" ]; then
  TSCR_CLI_HOST_DIR=$work/clihost "$dist/tscr" version >/dev/null 2>&1 || true
  for _ in $(seq 100); do compgen -G "$work/clihost/cli-*.pid" >/dev/null && break; sleep 0.1; done
  rows=(-n "tscr version (CLI host)" "$dist/tscr version" "${rows[@]}")
fi
TSCR_CLI_HOST_DIR=$work/clihost hf node "$runs" "${rows[@]}"
echo "## the native tscr client (bench/cli-client.sh, $(date -u +%FT%TZ), load:$(uptime | sed 's/.*load average://'))"
echo "| command | median ms | min ms | user ms | sys ms |"
echo "|:---|---:|---:|---:|---:|"
node -e '
  for (const f of process.argv.slice(1)) {
    try { require("node:fs").accessSync(f); } catch { continue; }
    for (const r of require(f).results) {
      const ms = (s) => (s * 1000).toFixed(2);
      console.log(`| ${r.command} | ${ms(r.median)} | ${ms(r.min)} | ${ms(r.user)} | ${ms(r.system)} |`);
    }
  }' "$PWD/$out/native.json" "$PWD/$out/node.json"
# The client's own CPU (task-clock counts only its process, not the host's), against the static no-op.
if command -v perf >/dev/null; then
  for c in "$work/noop" "$work/fake/tscr version"; do
    TSCR_CLI_HOST_DIR=$work/clihost-fake perf stat -x, -r $((runs * 5)) -e task-clock,page-faults $c 2>"$out/perf.txt" >/dev/null || continue
    awk -F, -v c="${c#"$work"/}" '$3=="task-clock"{t=$1} $3=="page-faults"{p=$1} END{printf "perf stat: %-20s task-clock %.3f ms, %d page faults\n", c, t, p}' "$out/perf.txt"
  done
fi
