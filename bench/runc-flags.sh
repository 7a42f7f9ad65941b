#!/usr/bin/env bash
# What each difference between tscr's runc invocation and the bench's raw `runc run` costs, one at a time, on the
# equivalent bundle (bench/equivalent-bundle.mjs): hyperfine -N, rounds of every variant in a rotating order, the
# medians over all rounds and each variant's ratio to the plain `runc run` of the same rounds.
# Usage: bash bench/runc-flags.sh <equivalent bundle> <runc root> <cgroup parent> [rounds] [runs per round]
set -euo pipefail
bundle=$1 root=$2 cg=$3 rounds=${4:-6} runs=${5:-8}
work=$(mktemp -d /tmp/tscr-bench-flags-XXXXXX)
trap 'for c in $(runc --root "$root" list -q 2>/dev/null); do runc --root "$root" delete -f "$c" >/dev/null 2>&1; done; rm -rf "$work"' EXIT
# A copy of the bundle whose cgroup gets a fresh name before every run (tscr: one per container ID).
cp -a "$bundle" "$work/fresh"
fresh_prepare="sh -c \"sed -i 's#\\\"cgroupsPath\\\":\\\"[^\\\"]*\\\"#\\\"cgroupsPath\\\":\\\"/$cg/fresh-'\\\$(date +%N)'\\\"#' $work/fresh/config.json\""
env_path="PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
names=(run log-format-json env-conmon env-same pipes fresh-cgroup)
declare -A cmd prep
cmd[run]="runc --root $root run --bundle $bundle v-run"
cmd[log-format-json]="runc --root $root --log-format json run --bundle $bundle v-json"
cmd[env-conmon]="env -i $env_path _OCI_SYNCPIPE=3 runc --root $root run --bundle $bundle v-envc"
cmd[env-same]="env runc --root $root run --bundle $bundle v-envs"
cmd[pipes]="runc --root $root run --bundle $bundle v-pipe"
cmd[fresh-cgroup]="runc --root $root run --bundle $work/fresh v-fresh"
for ((i = 0; i < rounds; i++)); do
  for ((k = 0; k < ${#names[@]}; k++)); do
    n=${names[$(((k + i) % ${#names[@]}))]}
    extra=()
    [ "$n" = pipes ] && extra=(--output=pipe)
    [ "$n" = fresh-cgroup ] && extra=(--prepare "$fresh_prepare")
    hyperfine -N --warmup 1 --runs "$runs" "${extra[@]}" --export-json "$work/$n-$i.json" "${cmd[$n]}" >/dev/null
  done
done
node -e '
  const fs = require("fs"); const [w, rounds, ...names] = process.argv.slice(1);
  const med = (xs) => { const a = [...xs].sort((x, y) => x - y); return a[a.length >> 1]; };
  const times = (n) => Array.from({ length: +rounds }, (_, i) => JSON.parse(fs.readFileSync(`${w}/${n}-${i}.json`)).results[0].times).flat();
  const base = med(times("run"));
  console.log(`| variant of \`runc run\` (equivalent bundle; ${rounds} rounds, hyperfine -N) | median ms | Δ to run, ms | ratio |`);
  console.log("|---|---|---|---|");
  for (const n of names) { const m = med(times(n)); console.log(`| ${n} | ${(m * 1e3).toFixed(1)} | ${((m - base) * 1e3).toFixed(1)} | ${(m / base).toFixed(3)} |`); }
' "$work" "$rounds" "${names[@]}"
