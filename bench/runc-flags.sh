#!/usr/bin/env bash
# What each difference between tscr's runc invocation and the bench's raw `runc run` costs, one at a time, on the
# equivalent bundle (bench/equivalent-bundle.mjs): hyperfine -N, rounds of every variant in a rotating order, the
# medians over all rounds and each variant's ratio to the plain `runc run` of the same rounds.
# sealed-copy: runc run from the sealed copy tscr's relay keeps (no per-container copy in runc init). Run from the
# repository's root. Usage: bash bench/runc-flags.sh <equivalent bundle> <runc root> <cgroup parent> [rounds] [runs per round]
set -euo pipefail
cd "$(dirname "$0")/.."
bundle=$1 root=$2 cg=$3 rounds=${4:-6} runs=${5:-8}
work=$(mktemp -d /tmp/tscr-bench-flags-XXXXXX)
relay=""
trap 'for c in $(runc --root "$root" list -q 2>/dev/null); do runc --root "$root" delete -f "$c" >/dev/null 2>&1; done; [ -n "$relay" ] && kill "$relay"; rm -rf "$work"' EXIT
# The sealed copy of runc tscr's relay keeps (packages/runtime/native/relay/spawner.c), run as /proc/<relay>/fd/<fd>.
mkfifo "$work/relay-in"
TSCR_RELAY_SEALED=/usr/sbin/runc packages/runtime/native/build/tscr-relay spawner <"$work/relay-in" >"$work/relay-out" &
relay=$!
exec 9>"$work/relay-in" # holds the relay's stdin open
for _ in $(seq 50); do grep -q ready "$work/relay-out" 2>/dev/null && break; sleep 0.1; done
sealed=/proc/$relay/fd/$(awk '$2 == "sealed" {print $3}' "$work/relay-out")
# A copy of the bundle whose cgroup gets a fresh name before every run (tscr: one per container ID).
cp -a "$bundle" "$work/fresh"
prepare() { # the same pause before every run of every variant: a fresh cgroup name written into $1/config.json
  echo "sh -c \"sed -i 's#\\\"cgroupsPath\\\":\\\"[^\\\"]*\\\"#\\\"cgroupsPath\\\":\\\"/$cg/fresh-'\\\$(date +%N)'\\\"#' $1/config.json\""
}
mkdir "$work/scratch" && cp "$bundle/config.json" "$work/scratch/"
env_path="PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
names=(run log-format-json env-conmon env-same pipes fresh-cgroup sealed-copy)
declare -A cmd prep
cmd[run]="runc --root $root run --bundle $bundle v-run"
cmd[log-format-json]="runc --root $root --log-format json run --bundle $bundle v-json"
cmd[env-conmon]="env -i $env_path _OCI_SYNCPIPE=3 runc --root $root run --bundle $bundle v-envc"
cmd[env-same]="env runc --root $root run --bundle $bundle v-envs"
cmd[pipes]="runc --root $root run --bundle $bundle v-pipe"
cmd[fresh-cgroup]="runc --root $root run --bundle $work/fresh v-fresh"
cmd[sealed-copy]="$sealed --root $root run --bundle $bundle v-sealed"
for ((i = 0; i < rounds; i++)); do
  for ((k = 0; k < ${#names[@]}; k++)); do
    n=${names[$(((k + i) % ${#names[@]}))]}
    extra=(--prepare "$(prepare "$work/scratch")")
    [ "$n" = pipes ] && extra+=(--output=pipe)
    [ "$n" = fresh-cgroup ] && extra=(--prepare "$(prepare "$work/fresh")")
    hyperfine -N --warmup 1 --runs "$runs" "${extra[@]}" --export-json "$work/$n-$i.json" "${cmd[$n]}" >/dev/null
  done
done
node -e '
  const fs = require("fs"); const [w, rounds, ...names] = process.argv.slice(1);
  const med = (xs) => { const a = [...xs].sort((x, y) => x - y); return a[a.length >> 1]; };
  const results = (n) => Array.from({ length: +rounds }, (_, i) => JSON.parse(fs.readFileSync(`${w}/${n}-${i}.json`)).results[0]);
  const times = (n) => results(n).flatMap((r) => r.times);
  const cpu = (n) => med(results(n).map((r) => r.user + r.system)); // per run, the median of the rounds
  const base = med(times("run")), baseCpu = cpu("run");
  console.log(`| variant of \`runc run\` (equivalent bundle; ${rounds} rounds, hyperfine -N) | median ms | Δ to run, ms | ratio | CPU ms per run (user+sys) | Δ CPU, ms |`);
  console.log("|---|---|---|---|---|---|");
  for (const n of names) {
    const m = med(times(n)), c = cpu(n);
    console.log(`| ${n} | ${(m * 1e3).toFixed(1)} | ${((m - base) * 1e3).toFixed(1)} | ${(m / base).toFixed(3)} | ${(c * 1e3).toFixed(1)} | ${((c - baseCpu) * 1e3).toFixed(1)} |`);
  }
' "$work" "$rounds" "${names[@]}"
