#!/usr/bin/env bash
# Daemon to daemon: the 165 MB single-layer bench image (bench/pull-image.mjs, as bench/pull.sh) and a container move,
# between two private daemons on this machine, the target on loopback TCP with mutual TLS (certs by `tscr system certs`):
#   tscr image transfer       `tscr image transfer REF --to b`: A sends B the blobs it lacks (all, B starts empty)
#   push + pull               `tscr push` from A to a loopback docker-registry (emptied before each run) and
#                             `tscr pull` into B: the way to the same result through a registry
#   pull alone                `tscr pull` into B of the image already in the registry: the floor a transfer,
#                             which also unpacks on B, can approach
#   tscr container move       a stopped container with a 100 MB named volume (random data), `-t 0`, moved A → B
#   tar | tar (volume floor)  `tar -c` of that volume piped into `tar -x` on the same disk: the copy alone
# Goal: transfer ≤ 0.5× push + pull. Prints a markdown table; raw hyperfine JSON in bench/.bench-out/transfer-*.json.
# Needs root, docker-registry, skopeo, hyperfine, openssl. Usage: bash bench/transfer.sh [--runs N]
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "bench: run as root" >&2; exit 1; }
runs=5
[ "${1:-}" = "--runs" ] && runs=$2
for c in docker-registry skopeo hyperfine openssl; do
  command -v "$c" >/dev/null || { echo "bench/transfer.sh: needs $c" >&2; exit 1; }
done

out=bench/.bench-out
mkdir -p "$out"
work=$(mktemp -d /tmp/tscr-bench-transfer-XXXXXX)
da="" db="" registry=""
tscr="node packages/cli/dist/main.cjs"
cleanup() {
  for h in "unix://$work/a/exec/tscr.sock" "unix://$work/b/exec/tscr.sock"; do
    for id in $($tscr -H "$h" ps -aq 2>/dev/null); do $tscr -H "$h" rm -f -v "$id" >/dev/null 2>&1 || true; done
  done
  for p in $da $db $registry; do kill "$p" 2>/dev/null && { wait "$p" 2>/dev/null || true; }; done
  umount -R "$work" 2>/dev/null || true
  rm -rf "$work"
  for c in /sys/fs/cgroup/*/tscr-bench-xfer; do [ -d "$c" ] && rmdir "$c" 2>/dev/null; done
  true
}
trap cleanup EXIT

node bench/pull-image.mjs "$work" 2000 80
bash scripts/busybox-rootfs.sh "$work/busybox.tar" >/dev/null

source bench/registry.sh
start_registry "$work"
tport=$(free_port)
REF="127.0.0.1:$port/bench/big:1"
PP="127.0.0.1:$port/bench/pp:1"
skopeo --insecure-policy copy -q --dest-tls-verify=false "oci:$work/oci:bench" "docker://$REF"

$tscr system certs --dir "$work/certs" >/dev/null
tls=(--tlsverify --tlscacert "$work/certs/ca.pem" --tlscert "$work/certs/server-cert.pem" --tlskey "$work/certs/server-key.pem")
A="unix://$work/a/exec/tscr.sock"
B="unix://$work/b/exec/tscr.sock"
node packages/daemon/dist/main.cjs -H "$A" "${tls[@]}" --root "$work/a/root" --exec-root "$work/a/exec" \
  --cgroup-parent tscr-bench-xfer --no-docker-api >"$work/a.log" 2>&1 &
da=$!
node packages/daemon/dist/main.cjs -H "$B" -H "tcp://127.0.0.1:$tport" "${tls[@]}" --root "$work/b/root" \
  --exec-root "$work/b/exec" --cgroup-parent tscr-bench-xfer --no-docker-api >"$work/b.log" 2>&1 &
db=$!
for _ in $(seq 100); do $tscr -H "$A" version >/dev/null 2>&1 && $tscr -H "$B" version >/dev/null 2>&1 && break; sleep 0.1; done
export HOME="$work/home"
mkdir -p "$HOME"
$tscr context create b --host "tcp://127.0.0.1:$tport" --tlscacert "$work/certs/ca.pem" \
  --tlscert "$work/certs/cert.pem" --tlskey "$work/certs/key.pem" >/dev/null
$tscr -H "$A" pull -q "$REF" >/dev/null
$tscr -H "$A" tag "$REF" "$PP"
$tscr -H "$A" image import "$work/busybox.tar" tscr-bench/busybox:1 >/dev/null

hf() { # name, prepare, command
  hyperfine --runs "$runs" --prepare "$2" --export-json "$out/transfer-$1.json" "$3" >"$out/transfer-$1.txt" 2>&1 || {
    echo "bench: $1 failed:" >&2; tail -5 "$out/transfer-$1.txt" >&2; rm -f "$out/transfer-$1.json"; }
}
hf transfer "$tscr -H $B rmi -f $REF >/dev/null 2>&1; sync" "$tscr -H $A image transfer -q $REF --to b"
hf pull "$tscr -H $B rmi -f $REF >/dev/null 2>&1; sync" "$tscr -H $B pull -q $REF"
hf push-pull "rm -rf $work/registry/docker/registry/v2/repositories/bench/pp $work/registry/docker/registry/v2/blobs; $tscr -H $B rmi -f $REF $PP >/dev/null 2>&1; sync" \
  "$tscr -H $A push -q $PP && $tscr -H $B pull -q $PP"

cat >"$work/move-prep.sh" <<SH
set -e
for h in $A $B; do $tscr -H \$h rm -f mv >/dev/null 2>&1 || true; $tscr -H \$h volume rm mvdata >/dev/null 2>&1 || true; done
$tscr -H $A run -d --name mv --network none -v mvdata:/data tscr-bench/busybox:1 sleep 1000 >/dev/null
$tscr -H $A exec mv sh -c 'dd if=/dev/urandom of=/data/f bs=1048576 count=100 2>/dev/null'
sync
SH
hf move "bash $work/move-prep.sh" "$tscr -H $A container move -t 0 mv --to b"

cat >"$work/tar-prep.sh" <<SH
set -e
rm -rf "$work/floor" && mkdir -p "$work/floor/src" "$work/floor/dst"
dd if=/dev/urandom of="$work/floor/src/f" bs=1048576 count=100 2>/dev/null
sync
SH
hf tar-floor "bash $work/tar-prep.sh" "bash -c 'tar -C $work/floor/src -cf - . | tar -C $work/floor/dst -xf -'"

node -e '
const fs = require("fs"), path = require("path");
const dir = process.argv[1];
const rows = [
  ["transfer", "`tscr image transfer` A → B (mutual TLS, 165 MB layer)"],
  ["push-pull", "`tscr push` A → loopback registry, then `tscr pull` into B"],
  ["pull", "`tscr pull` into B alone (the receiving half of push+pull)"],
  ["move", "`tscr container move` of a container with a 100 MB volume"],
  ["tar-floor", "`tar -c | tar -x` of 100 MB on the same disk (copy floor)"],
];
const res = {};
for (const [k] of rows) {
  const f = path.join(dir, `transfer-${k}.json`);
  if (fs.existsSync(f)) res[k] = JSON.parse(fs.readFileSync(f, "utf8")).results[0];
}
const s = (x) => x.toFixed(3);
console.log("| what | median s (min–max) | n | ratio |");
console.log("|---|---|---|---|");
const ratio = {
  transfer: ["push-pull", "vs push+pull (goal ≤ 0.5×)"],
  pull: ["push-pull", "vs push+pull"],
  move: ["tar-floor", "vs tar floor"],
};
for (const [k, label] of rows) {
  const r = res[k];
  if (!r) { console.log(`| ${label} | failed | – | – |`); continue; }
  const q = ratio[k] && res[ratio[k][0]] ? `${(r.median / res[ratio[k][0]].median).toFixed(2)}× ${ratio[k][1]}` : "–";
  console.log(`| ${label} | ${s(r.median)} (${s(r.min)}–${s(r.max)}) | ${r.times.length} | ${q} |`);
}' "$out"
