#!/usr/bin/env bash
# Pull and push of one big layer (~165 MB as users' layers are: half of the bytes already-compressed files, half
# text, ~1900 files of mixed sizes; see bench/pull-image.mjs mixedTree; gzip) from a loopback
# docker-registry, against the same work done by other tools on the same filesystem:
#   tscr pull            `tscr pull REF` (fetch, verify, unpack into the image store)
#   tar -xzf             `tar -xzf` of the same layer file (no network, no verification)
#   tar -xzf (spread)    the same, placed as tscr places a pull: into the same parent directory tscr's pull used in
#                        that round (one of the 8 `s0`…`s7` under tscr's `chattr +T` scratch directory, which ext4's
#                        Orlov allocator spreads over block groups, taken in turn). Where a directory lands matters
#                        more than anything else here: on this ext4 without a journal, creating 2,000 files takes
#                        0.1 s in one block group and 3 s in another (ext4 skips inodes deleted in the last minute
#                        one by one, and every agent on the host deletes files). This row is the like-for-like one
#   skopeo copy          `skopeo copy docker://REF oci:DIR` (fetch only, no unpack)
#   podman pull          `podman pull REF` where installed
#   tscr push            `tscr push` of the pulled image to another repository
# tscr pull and the two tar rows run interleaved, round by round (N rounds), so load drifting on a shared machine
# hits them alike; with perf installed each also gets its CPU time (task-clock of tscr CLI + tscrd + the registry,
# resp. tar and its gzip): the figure a busy machine does not distort.
# Prints a markdown table of medians and ratios vs tar -xzf; raw JSON in bench/.bench-out/pull-*.json.
# Needs root, docker-registry, skopeo, hyperfine. Usage: bash bench/pull.sh [--runs N] (default 8: each parent once)
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "bench: run as root" >&2; exit 1; }
runs=8
[ "${1:-}" = "--runs" ] && runs=$2
for c in docker-registry skopeo hyperfine; do
  command -v "$c" >/dev/null || { echo "bench/pull.sh: needs $c (apt-get install docker-registry skopeo hyperfine)" >&2; exit 1; }
done

out=bench/.bench-out
mkdir -p "$out"
work=$(mktemp -d /tmp/tscr-bench-pull-XXXXXX)
daemon="" registry=""
P="podman --root $work/podman-root --runroot $work/podman-run --cgroup-manager cgroupfs --events-backend none"
source bench/pull-setup.sh
cleanup() {
  [ -d "$work/podman-root" ] && { $P system reset -f >/dev/null 2>&1 || true; }
  pull_stop "$work"
  true
}
trap cleanup EXIT

pull_setup "$work"
cat "$work/layer-info"
COPY="127.0.0.1:$port/bench/copy:1"

hf() { # name, prepare, command
  hyperfine --runs "$runs" --prepare "$2" --export-json "$out/pull-$1.json" "$3" >"$out/pull-$1.txt" 2>&1 || {
    echo "bench: $1 failed:" >&2; tail -5 "$out/pull-$1.txt" >&2; rm -f "$out/pull-$1.json"; }
}
$tscr pull -q "$REF" >/dev/null # a first pull: tscrd warm, its scratch parents made (s0 taken)
scratch="$work/root/image/tmp"
cpu() { # perf's task-clock in ms from a perf stat -x, file
  awk -F, '/task-clock/ { printf "%d", $1 }' "$1" 2>/dev/null
}
perf=$(command -v perf || true)
[ -n "$perf" ] && ! perf stat -x, -e task-clock -o /dev/null true 2>/dev/null && perf=""
round() { # name, prepare, command, [pids to count as well]: appends "wall_s cpu_ms" to $work/times-NAME
  local name=$1 prep=$2 cmd=$3 pids=${4:-} pp="" s e c="" d=""
  eval "$prep" >/dev/null 2>&1 || true
  sync
  if [ -n "$perf" ] && [ -n "$pids" ]; then
    perf stat -x, -e task-clock -p "$pids" -o "$work/perf-bg" & pp=$!
    sleep 0.2
  fi
  s=$(date +%s%N)
  if [ -n "$perf" ]; then perf stat -x, -e task-clock -o "$work/perf-fg" $cmd >/dev/null; else $cmd >/dev/null; fi
  e=$(date +%s%N)
  if [ -n "$pp" ]; then kill -INT "$pp"; wait "$pp" || true; d=$(cpu "$work/perf-bg"); fi
  [ -n "$perf" ] && c=$(( $(cpu "$work/perf-fg") + ${d:-0} ))
  echo "$(( e - s )) ${c:-}" >>"$work/times-$name"
}
for i in $(seq 0 $((runs - 1))); do
  parent="$scratch/s$(( (i + 1) % 8 ))" # tscr's layer ingests take the parents in turn; the warm-up took s0
  round tscr-pull "$tscr rmi -f $REF" "$tscr pull -q $REF" "$daemon,$registry"
  round tar-spread "rm -rf $scratch/s*/tar-x; mkdir $parent/tar-x" "tar -xzf $work/layer.tar.gz -C $parent/tar-x"
  round tar "rm -rf $work/x; mkdir $work/x" "tar -xzf $work/layer.tar.gz -C $work/x"
done
rm -rf "$scratch"/s*/tar-x "$work/x"
for k in tscr-pull tar-spread tar; do
  node -e '
const [file, out] = process.argv.slice(1);
const rows = require("fs").readFileSync(file, "utf8").trim().split("\n").map((l) => l.split(" ").map(Number));
const times = rows.map((r) => r[0] / 1e9), cpu = rows.map((r) => r[1]).filter((c) => c > 0);
const med = (xs) => { const s = [...xs].sort((a, b) => a - b), m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
const r = { median: med(times), min: Math.min(...times), max: Math.max(...times), times };
if (cpu.length) r.cpu_ms_median = med(cpu);
require("fs").writeFileSync(out, JSON.stringify({ results: [r] }));' "$work/times-$k" "$out/pull-$k.json"
done
hf skopeo "rm -rf $work/sk && sync" "skopeo --insecure-policy copy -q --src-tls-verify=false docker://$REF oci:$work/sk:1"
$tscr pull -q "$REF" >/dev/null
hf tscr-push "rm -rf $work/registry/docker/registry/v2/repositories/bench/copy; $tscr tag $REF $COPY; sync" "$tscr push -q $COPY"
if command -v podman >/dev/null; then
  printf '[containers]\ndefault_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]\n' >"$work/containers.conf"
  export CONTAINERS_CONF="$work/containers.conf"
  hf podman "$P rmi -f $REF >/dev/null 2>&1; sync" "$P pull -q --tls-verify=false $REF"
fi

echo "$(date -u '+%F %H:%M UTC'); load average (uptime):$(uptime | sed 's/.*load average://'); $(nproc) CPUs"
echo "versions: tar $(tar --version | head -1 | awk '{print $NF}'), gzip $(gzip --version | head -1 | awk '{print $NF}')," \
  "skopeo $(skopeo --version | awk '{print $NF}'), podman $(podman --version 2>/dev/null | awk '{print $NF}')," \
  "docker-registry $(docker-registry --version 2>/dev/null | awk '{print $3}'), node $(node --version)"
echo "layer: $(cat "$work/layer-info")"
node -e '
const fs = require("fs"), path = require("path");
const dir = process.argv[1];
const rows = [
  ["tar", "`tar -xzf` of the layer (a fresh directory next to the bench files)"],
  ["tar-spread", "`tar -xzf`, placed as tscr places a pull (same parent directory, see the script)"],
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
const vs = (r, base) => (base ? `${(r.median / base.median).toFixed(2)}×` : "–");
console.log("| what | median s (min–max) | n | vs tar -xzf | vs tar -xzf (same placement) | CPU ms (median) |");
console.log("|---|---|---|---|---|---|");
for (const [k, label] of rows) {
  const r = res[k];
  if (!r) { console.log(`| ${label} | failed or not installed | – | – | – | – |`); continue; }
  const cpu = r.cpu_ms_median === undefined ? "–" : String(Math.round(r.cpu_ms_median));
  console.log(`| ${label} | ${s(r.median)} (${s(r.min)}–${s(r.max)}) | ${r.times.length} | ${vs(r, res.tar)} | ${vs(r, res["tar-spread"])} | ${cpu} |`);
}' "$out"
