#!/usr/bin/env bash
# The packages as a user meets them, outside the monorepo (whose `paths` hide these problems):
# packs every publishable package, installs the tarballs into a blank app in a temporary directory,
# runs `attw` on each tarball, type-checks an ESM (.ts) and a CommonJS (.cts) consumer under nodenext
# and a node10 one, and (as root) runs an embedded container with a TTY exec. Part of `npm test`.
# Needs the packages built (`npm run build`). Usage: scripts/consumer-check.sh [--keep]
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
packages=(api registry-client image runtime relay-linux-x64 network volume plugins container builder compose cri daemon docker-api cli)
tmp=$(mktemp -d /tmp/tscr-test-consumer-XXXXXX)
# The CLI hosts the native tscr starts (here, in a directory of this run, and in scripts/consumer-tscr-bin.sh's
# own) are ended by their pid files: none may outlive the check or land in the user's default directory.
export TSCR_CLI_HOST_DIR=$tmp/clihost-check
stop_cli_host() {
  for f in "$tmp"/clihost*/cli-*.pid; do [ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null; done
  true
}
[ "${1:-}" = "--keep" ] && { echo "consumer-check: keeping $tmp"; trap stop_cli_host EXIT; } || trap 'stop_cli_host; rm -rf "$tmp"' EXIT

SECONDS=0
echo "consumer-check: packing ${#packages[@]} packages"
ws=()
for p in "${packages[@]}"; do ws+=(-w "packages/$p"); done
npm pack --silent --pack-destination "$tmp" "${ws[@]}" >/dev/null
tarballs=("$tmp"/tscr-*.tgz)

echo "consumer-check: [${SECONDS}s] attw on each tarball (node10, node16 from CJS and ESM, bundler)"
# The checks of `attw --pack` (profile "strict"), in one process for all tarballs (scripts/attw-all.mjs).
node scripts/attw-all.mjs "${tarballs[@]}"

echo "consumer-check: [${SECONDS}s] installing the tarballs into a blank app"
app=$tmp/app
mkdir -p "$app"
cp scripts/consumer/* "$app/"
printf '{ "name": "tscr-consumer", "private": true, "type": "module" }\n' > "$app/package.json"
# Offline first (the monorepo's install filled npm's cache); no install scripts: better-sqlite3 is not
# needed here, and the relay must come from the prebuilt package.
(cd "$app" && npm install --prefer-offline --ignore-scripts --no-audit --no-fund --loglevel=error \
  "${tarballs[@]}" "@types/node@$(node -p 'require("'"$repo"'/node_modules/@types/node/package.json").version')" \
  "typescript@$(node -p 'require("'"$repo"'/node_modules/typescript/package.json").version')" >/dev/null)

echo "consumer-check: [${SECONDS}s] type-checking consumers (nodenext .ts + .cts, node10)"
(cd "$app" && node_modules/.bin/tsc -p tsconfig.json && node_modules/.bin/tsc -p tsconfig.node10.json)

echo "consumer-check: [${SECONDS}s] the installed bins"
"$app/node_modules/.bin/tscr" --help | grep -q '^Usage:  tscr' || { echo "consumer-check: tscr --help failed" >&2; exit 1; }
[ -x "$app/node_modules/.bin/tscrd" ] || { echo "consumer-check: tscrd is not linked" >&2; exit 1; }
bash scripts/consumer-tscr-bin.sh "$app" "$tmp"
# tscrd is a bundle (packages/daemon/tsup.bin.js) that finds parts of other packages where npm put them: the installed
# one serves a layer alone (no SQLite addon needed, which --ignore-scripts left unbuilt) to the installed tscr.
sock="$tmp/tscrd-volumes.sock"
"$app/node_modules/.bin/tscrd" serve-layer volumes --listen "unix://$sock" --root "$tmp/tscrd-root" \
  --exec-root "$tmp/tscrd-run" >"$tmp/tscrd.log" 2>&1 &
tscrd_pid=$!
for _ in $(seq 100); do [ -S "$sock" ] && break; sleep 0.1; done
if ! TSCR_HOST="unix://$sock" "$app/node_modules/.bin/tscr" volume create tscr-test-consumer >/dev/null ||
  ! TSCR_HOST="unix://$sock" "$app/node_modules/.bin/tscr" volume ls -q | grep -qx tscr-test-consumer; then
  echo "consumer-check: the installed tscrd did not serve:" >&2; cat "$tmp/tscrd.log" >&2; kill "$tscrd_pid"; exit 1
fi
kill "$tscrd_pid"; wait "$tscrd_pid" 2>/dev/null || true

if [ "$(id -u)" = 0 ]; then
  echo "consumer-check: [${SECONDS}s] an embedded container with a TTY exec"
  (cd "$app" && node embedded-tty.mjs)
else
  echo "consumer-check: not root: the embedded container is skipped" >&2
fi
echo "consumer-check: ok (${SECONDS}s)"
