#!/usr/bin/env bash
# Pull and push of one big layer (2000 files × 80 KiB: 40 KiB random + 40 KiB text, gzip) from a loopback
# docker-registry, against the same work done by other tools on the same filesystem:
#   tscr pull            `tscr pull REF` (fetch, verify, unpack into the image store)
#   tar -xzf             `tar -xzf` of the same layer file (no network, no verification)
#   tar -xzf (spread)    the same, placed as tscr places a pull: in turn under one of 8 directories of a
#                        `chattr +T` one (ext4's Orlov hint spreads them over block groups). Without that,
#                        both pay for ext4-without-journal's slow inode allocation next to the inodes the
#                        previous run just deleted; this row is the like-for-like comparison of the work
#   skopeo copy          `skopeo copy docker://REF oci:DIR` (fetch only, no unpack)
#   podman pull          `podman pull REF` where installed
#   tscr push            `tscr push` of the pulled image to another repository
# Prints a markdown table of medians and ratios vs tar -xzf; raw hyperfine JSON in bench/.bench-out/pull-*.json.
# Needs root, docker-registry, skopeo, hyperfine. Usage: bash bench/pull.sh [--runs N]
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "bench: run as root" >&2; exit 1; }
runs=5
[ "${1:-}" = "--runs" ] && runs=$2
for c in docker-registry skopeo hyperfine; do
  command -v "$c" >/dev/null || { echo "bench/pull.sh: needs $c (apt-get install docker-registry skopeo hyperfine)" >&2; exit 1; }
done

out=bench/.bench-out
mkdir -p "$out"
work=$(mktemp -d /tmp/tscr-bench-pull-XXXXXX)
daemon="" registry=""
P="podman --root $work/podman-root --runroot $work/podman-run --cgroup-manager cgroupfs --events-backend none"
cleanup() {
  [ -n "$daemon" ] && kill "$daemon" 2>/dev/null && { wait "$daemon" 2>/dev/null || true; }
  [ -n "$registry" ] && kill "$registry" 2>/dev/null && { wait "$registry" 2>/dev/null || true; }
  [ -d "$work/podman-root" ] && { $P system reset -f >/dev/null 2>&1 || true; }
  umount -R "$work" 2>/dev/null || true
  rm -rf "$work"
  true
}
trap cleanup EXIT

node bench/pull-image.mjs "$work" 2000 80

source bench/registry.sh
start_registry "$work"
REF="127.0.0.1:$port/bench/big:1"
COPY="127.0.0.1:$port/bench/copy:1"
skopeo --insecure-policy copy -q --dest-tls-verify=false "oci:$work/oci:bench" "docker://$REF"

export TSCR_HOST="unix://$work/exec/tscr.sock"
tscr="node packages/cli/dist/main.cjs"
node packages/daemon/dist/main.cjs --host "$TSCR_HOST" --root "$work/root" --exec-root "$work/exec" \
  --cgroup-parent tscr-bench >"$work/tscrd.log" 2>&1 &
daemon=$!
for _ in $(seq 100); do $tscr version >/dev/null 2>&1 && break; sleep 0.1; done

hf() { # name, prepare, command
  hyperfine --runs "$runs" --prepare "$2" --export-json "$out/pull-$1.json" "$3" >"$out/pull-$1.txt" 2>&1 || {
    echo "bench: $1 failed:" >&2; tail -5 "$out/pull-$1.txt" >&2; rm -f "$out/pull-$1.json"; }
}
hf tar "rm -rf $work/x && mkdir $work/x && sync" "tar -xzf $work/layer.tar.gz -C $work/x"
mkdir -p "$work/top" && { chattr +T "$work/top" 2>/dev/null || true; }
cat >"$work/spread.sh" <<SH
n=\$(cat "$work/top/turn" 2>/dev/null || echo 0); echo \$((n + 1)) >"$work/top/turn"
rm -rf "$work"/top/s*/x "$work/cur" && mkdir -p "$work/top/s\$((n % 8))/x"
ln -s "$work/top/s\$((n % 8))/x" "$work/cur" && sync
SH
hf tar-spread "bash $work/spread.sh" "tar -xzf $work/layer.tar.gz -C $work/cur/"
hf tscr-pull "$tscr rmi -f $REF >/dev/null 2>&1; sync" "$tscr pull -q $REF"
hf skopeo "rm -rf $work/sk && sync" "skopeo --insecure-policy copy -q --src-tls-verify=false docker://$REF oci:$work/sk:1"
$tscr pull -q "$REF" >/dev/null
hf tscr-push "rm -rf $work/registry/docker/registry/v2/repositories/bench/copy; $tscr tag $REF $COPY; sync" "$tscr push -q $COPY"
if command -v podman >/dev/null; then
  printf '[containers]\ndefault_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]\n' >"$work/containers.conf"
  export CONTAINERS_CONF="$work/containers.conf"
  hf podman "$P rmi -f $REF >/dev/null 2>&1; sync" "$P pull -q --tls-verify=false $REF"
fi

node -e '
const fs = require("fs"), path = require("path");
const dir = process.argv[1];
const rows = [
  ["tar", "`tar -xzf` of the layer (same filesystem)"],
  ["tar-spread", "`tar -xzf`, placed as tscr places a pull (see the script)"],
  ["tscr-pull", "`tscr pull` (fetch + verify + unpack)"],
  ["skopeo", "`skopeo copy docker:// oci:` (fetch only)"],
  ["podman", "`podman pull`"],
  ["tscr-push", "`tscr push` to another repository"],
];
const res = {};
for (const [k] of rows) {
  const f = path.join(dir, `pull-${k}.json`);
  if (fs.existsSync(f)) res[k] = JSON.parse(fs.readFileSync(f, "utf8")).results[0];
}
const s = (x) => x.toFixed(3);
console.log("| what | median s (min–max) | n | vs tar -xzf |");
console.log("|---|---|---|---|");
for (const [k, label] of rows) {
  const r = res[k];
  if (!r) { console.log(`| ${label} | failed or not installed | – | – |`); continue; }
  const ratio = res.tar ? `${(r.median / res.tar.median).toFixed(2)}×` : "–";
  console.log(`| ${label} | ${s(r.median)} (${s(r.min)}–${s(r.max)}) | ${r.times.length} | ${ratio} |`);
}' "$out"
