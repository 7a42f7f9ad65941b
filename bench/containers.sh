#!/usr/bin/env bash
# 50 sleeping containers (`sleep 3600`, no network), in one run against the peers on this machine:
#   seq   50 `run -d` one after another          par   50 `run -d` clients started at once, then wait
#   ps    listing with 50 running (hyperfine)    RSS   the daemon's VmRSS idle and with 50 running
#   PSS   the monitor's (conmon's) proportional set size per container, from /proc/PID/smaps_rollup
# Peers: podman (private --root/--runroot, --runtime runc, --network none) and containerd's `ctr` where
# installed; without ctr the figure measured on this machine in /work/shared/PEERS.md is shown, labelled so.
# Goals (issue 7, 17): par <= 0.8x ctr, through the API <= 0.5x ctr; daemon <= 90 MiB RSS with 50 running; monitor <= 0.5 MiB PSS.
# The rounds alternate: tscr through the CLI, tscr through one warm gRPC client (the daemon's share), then ctr; each
# round's CPU is split into the clients', the daemon's (tscrd, containerd) and the machine's busy time.
# --perf: also samples every CPU (`perf record -a`, 499 Hz) during the tscr-CLI and ctr rounds and splits the time by
# command (the CLIs, the daemon, runc, the monitors...).
# Needs root. Usage: bash bench/containers.sh [--runs N] [--count N] [--no-podman] [--par-only (no one-by-one rows)] [--perf]
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
[ "$(id -u)" = 0 ] || { echo "bench: run as root" >&2; exit 1; }
runs=3
count=50
podman=yes
seq_too=yes
perf_on=""
while [ $# -gt 0 ]; do
  case $1 in
    --runs) runs=$2; shift 2 ;;
    --count) count=$2; shift 2 ;;
    --no-podman) podman=""; shift ;;
    --par-only) seq_too=""; shift ;;
    --perf) perf_on=yes; shift ;;
    *) echo "usage: $0 [--runs N] [--count N] [--no-podman] [--par-only] [--perf]" >&2; exit 2 ;;
  esac
done
CTR_REF_PAR=2.460 # PEERS.md, section d: `ctr run -d` x50 at once, median of 3 (reference, not this run)

out=bench/.bench-out
mkdir -p "$out"
work=$(mktemp -d /tmp/tscr-bench-ctr-XXXXXX)
cg=tscr-bench-ctr-$$
daemon=""
P=""
# podman's rm sometimes fails on a busy shm mount under load: retry until none is left.
podman_clear() {
  for _ in 1 2 3 4 5; do
    $P rm -f -a -t 0 >/dev/null 2>&1
    [ -z "$($P ps -aq 2>/dev/null)" ] && return 0
    sleep 2
  done
  echo "bench: podman containers left after 5 attempts" >&2
}
cleanup() {
  set +e
  stop_cli_hosts
  [ -n "$daemon" ] && stop_tscrd "$daemon"
  if [ -n "$P" ]; then
    podman_clear
    $P system reset -f >/dev/null 2>&1
  fi
  if command -v ctr >/dev/null && [ -S "$work/containerd/containerd.sock" ]; then
    for c in $(ctr -a "$work/containerd/containerd.sock" -n tscr-bench task ls -q 2>/dev/null); do
      ctr -a "$work/containerd/containerd.sock" -n tscr-bench task kill -s KILL "$c" >/dev/null 2>&1
    done
  fi
  [ -n "${ctrd:-}" ] && kill "$ctrd" 2>/dev/null && wait "$ctrd" 2>/dev/null
  reap_monitors "$work"
  umount -R "$work" 2>/dev/null
  for m in $(grep -o " $work[^ ]*" /proc/self/mountinfo | sort -r); do umount -l "$m" 2>/dev/null; done
  rm -rf "$work"
  for c in /sys/fs/cgroup/*/"$cg" /sys/fs/cgroup/*/tscr-bench-podman; do
    [ -d "$c" ] && { for s in "$c"/*/; do [ -d "$s" ] && rmdir "$s"; done; rmdir "$c"; }
  done 2>/dev/null
  true
}
trap cleanup EXIT

now() { date +%s.%N; }
median() { sort -n | awk '{a[NR]=$1} END {printf "%.3f", (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
rss_mib() { awk '/^VmRSS/ {printf "%.1f", $2/1024}' "/proc/$1/status"; }
# PSS of every conmon whose command line mentions $1: "total_MiB per_container_MiB count".
monitor_pss() {
  local total=0 n=0 pid
  for pid in $(pgrep -x conmon); do
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -- "$1" || continue
    total=$((total + $(awk '/^Pss:/ {print $2}' "/proc/$pid/smaps_rollup")))
    n=$((n + 1))
  done
  awk -v t="$total" -v n="$n" 'BEGIN {printf "%.1f %.2f %d", t/1024, (n ? t/1024/n : 0), n}'
}

bash scripts/busybox-rootfs.sh "$work/busybox.tar" >/dev/null

# ---- tscr: a private daemon for the run.
export TSCR_HOST="unix://$work/exec/tscr.sock"
# The CLI as npm links it: the native client served by a warm CLI host of this run (its CPU counts as the clients'),
# or, in a tree without the client, the Node bin through its first (sh) line (see packages/cli/README.md).
tscr=$(tscr_bin)
use_cli_host "$work"
# Its code cache: a fresh one per run, warmed below before anything is timed.
export XDG_CACHE_HOME="$work/cache"
# Started as its bin (`tscrd`), so the node flags of its first (sh) line apply.
packages/daemon/dist/main.cjs --host "$TSCR_HOST" --root "$work/root" --exec-root "$work/exec" \
  --cgroup-parent "$cg" >"$work/tscrd.log" 2>&1 &
daemon=$!
for _ in $(seq 100); do $tscr version >/dev/null 2>&1 && break; sleep 0.1; done
$tscr image import "$work/busybox.tar" tscr-bench/busybox:latest >/dev/null
IMG=tscr-bench/busybox:latest
host_pid=$(wait_cli_host "$tscr")
$tscr run -d --network none --name warm "$IMG" true >/dev/null && $tscr rm -f warm >/dev/null
sleep 5
tscr_rss_idle=$(rss_mib "$daemon")

# CPU accounting (issue 17 goal 3: where the CPU of the par rounds goes), in clock ticks (USER_HZ, 100/s):
# a process's own user+system time (all its threads), and its waited-for children's.
hz=$(getconf CLK_TCK)
proc_ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
# Every CPU's busy ticks (user, nice, system, irq, softirq): the machine, other agents included.
busy_ticks() { awk '/^cpu / {print $2 + $3 + $4 + $7 + $8}' /proc/stat; }
# Appends "clients daemon busy" (ticks) of one par round to $cpu_log (set per engine below).
cpu_log=/dev/null

# Runs `$1 NAME` for NAME in 1..count one by one (seq) or all at once (par); prints seconds.
start_seq() { local t0; t0=$(now); for i in $(seq "$count"); do $1 "b$i" >/dev/null; done; echo "$(now) - $t0" | bc; }
# par: also logs the CPU of the round: the clients' (bash's `times` of this subshell's waited children, plus
# $client_pid's: tscr's CLI host), the daemon's ($cpu_pid: tscrd or containerd) and the machine's.
start_par() {
  local t0 pids=() i fail=0 d0 b0 h0 clients pp=""
  if [ -n "$perf_on" ] && [ "$cpu_log" != /dev/null ]; then
    perf record -F "$perf_hz" -a -o "$cpu_log.perf.$(date +%s%N)" >/dev/null 2>&1 &
    pp=$!
    sleep 0.5
  fi
  d0=$(proc_ticks "$cpu_pid"); b0=$(busy_ticks); h0=$(proc_ticks "${client_pid:-none}")
  t0=$(now)
  for i in $(seq "$count"); do $1 "b$i" >/dev/null & pids+=($!); done
  for p in "${pids[@]}"; do wait "$p" || fail=1; done
  [ $fail = 0 ] || echo "bench: some parallel starts failed" >&2
  echo "$(now) - $t0" | bc
  [ -z "$pp" ] || { kill -INT "$pp"; wait "$pp"; }
  # `times`' second line: the children's user and system time, e.g. "0m2.345s 0m0.678s".
  times >"$work/times"   # not in a pipe: a pipe's subshell has waited for no child
  clients=$(tail -1 "$work/times" | awk -v hz="$hz" '{n = 0; for (i = 1; i <= 2; i++) {split($i, a, "m"); sub("s", "", a[2]); n += a[1] * 60 + a[2]} printf "%d", n * hz}')
  clients=$((clients + $(proc_ticks "${client_pid:-none}") - h0))
  echo "$clients $(($(proc_ticks "$cpu_pid") - d0)) $(($(busy_ticks) - b0))" >>"$cpu_log"
}
perf_hz=499
# The --perf samples of an engine's rounds ($1: its cpu log; $2: its daemon's PID; $3: its CLI's command name), by
# command, in ms per container (the perf start-up's half second before each round included: "idle" is mostly that;
# other agents' processes of the same name count as CLIs).
perf_split() {
  local f files=("$1".perf.*)
  [ -e "${files[0]}" ] || { echo "–"; return; }
  for f in "${files[@]}"; do perf script -i "$f" -F comm,pid 2>/dev/null; done | awk -v d="$2" -v cli="$3" \
    -v n="$((count * ${#files[@]}))" -v hz="$perf_hz" '{
      pid = $NF; $NF = ""; c = $0; sub(/ +$/, "", c); sub(/^ +/, "", c)
      if (pid == d) k = "daemon"; else if (c == "swapper") k = "idle"
      else if (c ~ /^runc/ || c == "exe" || c ~ /^memfd/ || c ~ /^[0-9]+$/) k = "runc"  # digits: the sealed runc copy of tscr
      else if (c ~ /^containerd-shim/) k = "shim"
      else if (c == cli) k = "CLIs"
      else if (c == "conmon" || c == "tscr-relay" || c == "bash") k = c
      else if (c ~ /^(kworker|ksoftirq|rcu|migration|kdamond)/) k = "kernel threads"
      else k = "other"
      t[k]++
    } END {
      for (k in t) printf "%.1f %s\n", t[k] * 1000 / hz / n, k
    }' | sort -rn | awk '{v = $1; $1 = ""; printf "%s%s %s", (NR > 1 ? " · " : ""), substr($0, 2), v}'
}
# "clients daemon busy" medians of a log, in ms of CPU per container.
cpu_per_container() {
  [ -s "$1" ] || { echo "– – –"; return; }
  local c d b
  c=$(awk '{print $1}' "$1" | median); d=$(awk '{print $2}' "$1" | median); b=$(awk '{print $3}' "$1" | median)
  awk -v c="$c" -v d="$d" -v b="$b" -v hz="$hz" -v n="$count" \
    'BEGIN {f = 1000 / hz / n; printf "%.1f %.1f %.1f", c * f, d * f, b * f}'
}
tscr_run() { $tscr run -d --network none --name "$1" "$IMG" sleep 3600; }
tscr_clear() { local ids; ids=$($tscr ps -aq); [ -z "$ids" ] || $tscr rm -f $ids >/dev/null; }
tscr_seq=(); tscr_par=()
[ -z "$seq_too" ] || for r in $(seq "$runs"); do tscr_seq+=("$(start_seq tscr_run)"); tscr_clear; done

# ---- containerd's ctr, where installed (not a Debian default here): started now, so that its rounds alternate with
# tscr's (a load spike from elsewhere, or the file system's state after a removal, hits both engines alike).
ctr_ok=""; ctr_par=""; ctr_note="reference: PEERS.md (not this run)"; ctr_pars=()
if command -v ctr >/dev/null && command -v containerd >/dev/null; then
  start_containerd "$work"
  # The same image, as a docker-archive (the busybox tar is a bare rootfs): saved by the tscr daemon of this run.
  $tscr save -o "$work/busybox-docker.tar" "$IMG" >/dev/null 2>&1 || echo "bench: tscr save for ctr failed" >&2
  if $C image import --base-name bench "$work/busybox-docker.tar" >/dev/null 2>&1; then
    ctr_img=$($C image ls -q | head -1)
    ctr_ok=yes
  else
    echo "bench: ctr image import failed (see $work/containerd.log): ctr from PEERS.md" >&2
  fi
fi
ctr_run() { $C run -d "$ctr_img" "$1" sleep 3600; }
ctr_clear() {
  local c
  for c in $($C task ls -q); do $C task kill -s KILL "$c" >/dev/null 2>&1; done
  sleep 1
  for c in $($C container ls -q); do $C task delete "$c" >/dev/null 2>&1; $C container delete "$c" >/dev/null 2>&1; done
}

# Round r: tscr's 50 through the CLI; the daemon's share, the same 50 at once through one warm gRPC client (no CLI
# processes), on top of the 50 running (it removes its own); then ctr's 50. Each engine removes its previous
# round's containers just before its next round.
api_pars=(); api_cpu=()
for r in $(seq "$runs"); do
  [ "$r" = 1 ] || tscr_clear
  cpu_pid=$daemon; cpu_log=$work/cpu-tscr.log; client_pid=$host_pid
  tscr_par+=("$(start_par tscr_run)")
  read -r _ _ _ api_s _ _ _ api_c <<<"$(TSCR_BENCH_DAEMON_PID=$daemon node bench/containers-api.mjs "$IMG" "$count" par 1)"
  api_pars+=("$api_s"); api_cpu+=("$api_c")
  if [ -n "$ctr_ok" ]; then
    [ "$r" = 1 ] || ctr_clear
    cpu_pid=$ctrd; cpu_log=$work/cpu-ctr.log; client_pid=
    ctr_pars+=("$(start_par ctr_run)")
  fi
done
if [ -n "$ctr_ok" ]; then
  ctr_clear
  ctr_par=$(printf '%s\n' "${ctr_pars[@]}" | median)
  ctr_note="this run"
fi
[ -n "$ctr_par" ] || ctr_par=$CTR_REF_PAR
tscr_api_par=$(printf '%s\n' "${api_pars[@]}" | median)
tscr_api_rounds=$(IFS=,; echo "${api_pars[*]}")
# The API rounds' CPU: medians of the rounds' "client,daemon,busy" (ms per container).
tscr_api_cpu=$(for i in 1 2 3; do printf '%s\n' "${api_cpu[@]}" | cut -d, -f"$i" | median; echo; done | paste -sd' ' |
  awk '{printf "%.1f / %.1f / %.1f", $1, $2, $3}')
tscr_running=$($tscr ps -q | wc -l)
hyperfine -N --warmup 2 --runs 10 --export-json "$out/containers-tscr-ps.json" "$tscr ps" >/dev/null 2>&1
tscr_ps=$(node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1])).results[0].median.toFixed(3))' \
  "$out/containers-tscr-ps.json")
sleep 2
tscr_rss_50=$(rss_mib "$daemon")
read -r tscr_pss_total tscr_pss_each tscr_monitors <<<"$(monitor_pss "$work/exec")"
tscr_clear

# ---- podman, same shape.
pod_seq=(); pod_par=(); pod_ps=""; pod_pss_total=""; pod_pss_each=""; pod_monitors=""
if [ -n "$podman" ] && command -v podman >/dev/null; then
  printf '[containers]\ndefault_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]\n' >"$work/containers.conf"
  export CONTAINERS_CONF="$work/containers.conf"
  P="podman --root $work/podman-root --runroot $work/podman-run --tmpdir $work/podman-tmp --cgroup-manager cgroupfs"
  P="$P --events-backend none"
  $P import -q "$work/busybox.tar" localhost/bench-busybox >/dev/null
  pod_run() {
    $P run -d --runtime runc --network none --cgroup-parent /tscr-bench-podman --name "$1" localhost/bench-busybox \
      sleep 3600
  }
  pod_clear() { podman_clear; }
  [ -z "$seq_too" ] || for r in $(seq "$runs"); do pod_seq+=("$(start_seq pod_run)"); pod_clear; done
  cpu_pid=$$; cpu_log=/dev/null
  for r in $(seq "$runs"); do
    pod_par+=("$(start_par pod_run)")
    [ "$r" = "$runs" ] || pod_clear
  done
  hyperfine -N --warmup 2 --runs 10 --export-json "$out/containers-podman-ps.json" "$P ps" >/dev/null 2>&1
  pod_ps=$(node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1])).results[0].median.toFixed(3))' \
    "$out/containers-podman-ps.json")
  read -r pod_pss_total pod_pss_each pod_monitors <<<"$(monitor_pss "$work/podman")"
  pod_clear
fi

med() { printf '%s\n' "$@" | median; }
ts="–"; tp=$(med "${tscr_par[@]}")
[ ${#tscr_seq[@]} -gt 0 ] && ts=$(med "${tscr_seq[@]}")
ps_=""; pp=""
[ ${#pod_seq[@]} -gt 0 ] && ps_=$(med "${pod_seq[@]}")
[ ${#pod_par[@]} -gt 0 ] && pp=$(med "${pod_par[@]}")
ratio() { [[ $1 =~ ^[0-9.]+$ && $2 =~ ^[0-9.]+$ ]] && awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2fx", a/b}' || echo "–"; }
verdict() { awk -v v="$1" -v g="$2" 'BEGIN {print (v <= g) ? "met" : "NOT met"}'; }

{
  echo "## $count sleeping containers (sleep 3600, --network none); medians of $runs runs; load: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo
  echo "| what | tscr | podman (runc) | ctr | tscr/podman | tscr/ctr |"
  echo "|---|---|---|---|---|---|"
  echo "| $count one by one, s | $ts | ${ps_:-–} | – | $(ratio "$ts" "$ps_") | – |"
  echo "| $count at once, s | $tp | ${pp:-–} | $ctr_par ($ctr_note) | $(ratio "$tp" "$pp") | $(ratio "$tp" "$ctr_par") |"
  echo "| $count at once through the API (daemon side, no CLI processes), s | $tscr_api_par (rounds $tscr_api_rounds) | – | – | – | $(ratio "$tscr_api_par" "$ctr_par") |"
  echo "| CPU per container at once, ms: clients / daemon / machine busy (medians of the rounds) | $(cpu_per_container "$work/cpu-tscr.log" | sed 's| | / |g') (CLI); $tscr_api_cpu (API) | – | $(cpu_per_container "$work/cpu-ctr.log" | sed 's| | / |g') | – | – |"
  [ -z "$perf_on" ] || echo "| CPU per container by command (perf, CLI rounds), ms | $(perf_split "$work/cpu-tscr.log" "$daemon" node) | – | $(perf_split "$work/cpu-ctr.log" "${ctrd:-}" ctr) | – | – |"
  echo "| each round (r: CLI / API / ctr), s | $(for i in "${!tscr_par[@]}"; do printf '%s%d: %.2f / %.2f / %s' "$([ "$i" = 0 ] || echo '; ')" $((i + 1)) "${tscr_par[$i]}" "${api_pars[$i]}" "$(printf '%.2f' "${ctr_pars[$i]:-0}")"; done) | – | – | – | – |"
  echo "| ps with $tscr_running running, s | $tscr_ps | ${pod_ps:-–} | – | $(ratio "$tscr_ps" "$pod_ps") | – |"
  echo "| daemon RSS idle, MiB | $tscr_rss_idle | (daemonless) | 35.8 (PEERS.md) | – | – |"
  echo "| daemon RSS, $count running, MiB | $tscr_rss_50 | (daemonless) | 58.2 (PEERS.md) | – | – |"
  echo "| monitor PSS per container, MiB | $tscr_pss_each (conmon x$tscr_monitors) | ${pod_pss_each:-–} (conmon x${pod_monitors:-0}) | 2.6 shim (PEERS.md) | – | – |"
  echo
  echo "CPU: clients = the $count CLI processes (\`times\`), or the API client; daemon = tscrd or containerd; machine busy ="
  echo "every CPU's busy time during the round (the monitors, runc and the kernel's work, and whatever else ran)."
  echo
  echo "Goals: $count at once <= 0.8x ctr ($(awk -v c="$ctr_par" 'BEGIN {printf "%.2f", 0.8*c}') s): $(verdict "$tp" "$(awk -v c="$ctr_par" 'BEGIN {print 0.8*c}')");" \
    "through the API <= 0.5x ctr ($(awk -v c="$ctr_par" 'BEGIN {printf "%.2f", 0.5*c}') s, issue 17): $(verdict "$tscr_api_par" "$(awk -v c="$ctr_par" 'BEGIN {print 0.5*c}')");" \
    "daemon <= 90 MiB with $count running: $(verdict "$tscr_rss_50" 90); monitor <= 0.5 MiB PSS: $(verdict "$tscr_pss_each" 0.5)"
} | tee "$out/containers.md"
