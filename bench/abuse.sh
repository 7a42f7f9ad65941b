#!/usr/bin/env bash
# API abuse against a real tscrd, measured, and written to docs/reliability/abuse.md:
#   size limits      a gRPC message and a Docker API body past the configured limits (ResourceExhausted / 413)
#   slow clients     latency of other calls beside clients sending a byte a second; when each is cut (408, headers)
#   cut streams      daemon fds and child processes before / while / after 11 kinds of streams lose their client
#                    (logs -f, attach, events, pull progress, build output on both APIs, and a stdin attach)
#   1,000 readers    daemon RSS and fds with 1,000 event subscribers that stop reading, over a burst of events
# The figures come from packages/daemon/test/integration/abuse.test.ts, which also asserts the behaviour, so the
# file stays true. No peer runs here (no Docker daemon may run on this host). Needs root and a build.
# Usage: bash bench/abuse.sh [OUTPUT]   (default docs/reliability/abuse.md)
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "bench: run as root" >&2; exit 1; }
report=$(realpath -m "${1:-docs/reliability/abuse.md}")
mkdir -p "$(dirname "$report")"
TSCR_ABUSE_REPORT="$report" npx vitest run --project integration packages/daemon/test/integration/abuse.test.ts >&2
cat "$report"
