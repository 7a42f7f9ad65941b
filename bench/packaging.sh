#!/usr/bin/env bash
# The CLI as an npm user gets it, in one run on this machine:
#   start-up   `tscr --version` and `tscr --help` (no daemon needed) against `docker --version` (Docker 28 CLI)
#              and `podman --version`, hyperfine medians
#   install    `npm install` of the packed @tscr/cli (with the @tscr/* tarballs it depends on) into a blank app,
#              offline from npm's cache, no install scripts: wall time, packages, size on disk, native modules
# Needs a build (npm run build) and hyperfine. Usage: bash bench/packaging.sh [--runs N]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=20
[ "${1:-}" = "--runs" ] && runs=$2
out=bench/.bench-out/packaging
rm -rf "$out" && mkdir -p "$out"
work=$(mktemp -d /tmp/tscr-bench-pkg-XXXXXX)
trap 'rm -rf "$work"' EXIT

hf() { # name, command
  hyperfine -N --warmup 3 --runs "$runs" --export-json "$out/$1.json" "$2" >"$out/$1.txt" 2>&1 || rm -f "$out/$1.json"
}
hf tscr-version "node packages/cli/dist/main.cjs --version"
hf tscr-help "node packages/cli/dist/main.cjs --help"
[ -x /usr/local/bin/docker ] && hf docker-version "/usr/local/bin/docker --version"
command -v podman >/dev/null && hf podman-version "podman --version"

# The CLI's dependency closure among the @tscr packages, packed.
pkgs=(api registry-client image runtime relay-linux-x64 network volume container builder compose docker-api cli)
ws=(); for p in "${pkgs[@]}"; do ws+=(-w "packages/$p"); done
npm pack --silent --pack-destination "$work" "${ws[@]}" >/dev/null
mkdir "$work/app" && echo '{ "name": "bench-cli", "private": true }' > "$work/app/package.json"
start=$(date +%s%N)
(cd "$work/app" && npm install --prefer-offline --ignore-scripts --no-audit --no-fund --loglevel=error "$work"/tscr-cli-*.tgz \
  $(ls "$work"/tscr-*.tgz | grep -v tscr-cli-) >/dev/null)
ms=$(( ($(date +%s%N) - start) / 1000000 ))
npkgs=$(find "$work/app/node_modules" -name package.json -not -path '*/node_modules/*/node_modules/*/node_modules/*' | wc -l)
size=$(du -sm "$work/app/node_modules" | cut -f1)
native=$(find "$work/app/node_modules" -name binding.gyp | sed 's|.*/node_modules/||; s|/binding.gyp||' | tr '\n' ' ')
bundle=$(stat -c %s packages/cli/dist/cli.cjs)

node -e '
  const fs = require("fs"); const dir = process.argv[1];
  const row = (name, label) => {
    try { const r = JSON.parse(fs.readFileSync(`${dir}/${name}.json`)).results[0];
      return `| ${label} | ${(r.median * 1000).toFixed(1)} ms | ${(r.min * 1000).toFixed(1)}–${(r.max * 1000).toFixed(1)} ms |`;
    } catch { return `| ${label} | n/a | |`; } };
  console.log("| CLI start-up | median | min–max |\n|---|---|---|");
  for (const [n, l] of [["tscr-version", "`tscr --version`"], ["tscr-help", "`tscr --help`"],
    ["docker-version", "`docker --version` (Docker 28 CLI)"], ["podman-version", "`podman --version`"]]) console.log(row(n, l));
' "$out"
echo
echo "| npm install of @tscr/cli (offline, no scripts) | value |"
echo "|---|---|"
echo "| wall time | ${ms} ms |"
echo "| packages in node_modules | ${npkgs} |"
echo "| node_modules on disk | ${size} MB |"
echo "| native modules (binding.gyp) | ${native:-none} |"
echo "| tscr bin bundle (dist/cli.cjs) | $((bundle / 1024)) KiB |"
