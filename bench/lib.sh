# Clean-up shared by the bench scripts (sourced; they run it from their EXIT trap, under `set +e`).

# stop_tscrd PID: removes every container of the private daemon at $TSCR_HOST (through the CLI in $tscr), then ends
# the daemon by its PID.
stop_tscrd() {
  local ids
  ids=$($tscr ps -aq 2>/dev/null)
  [ -n "$ids" ] && $tscr rm -f $ids >/dev/null 2>&1
  kill "$1" 2>/dev/null && wait "$1" 2>/dev/null
}

# stop_containerd PID SOCKET: kills and deletes the tasks and containers of its namespace tscr-bench, then ends the
# containerd started by the script by its PID.
stop_containerd() {
  local C="ctr -a $2 -n tscr-bench" c
  for c in $($C task ls -q 2>/dev/null); do $C task kill -s KILL "$c" >/dev/null 2>&1; done
  sleep 1
  for c in $($C container ls -q 2>/dev/null); do
    $C task delete "$c" >/dev/null 2>&1
    $C container delete "$c" >/dev/null 2>&1
  done
  kill "$1" 2>/dev/null && wait "$1" 2>/dev/null
}

# reap_monitors WORK: the last resort for what an engine failed to remove: monitors (conmon) whose command line
# mentions WORK; runc (tscr's root under WORK, or the default one) ends their containers.
reap_monitors() {
  local pid id
  for pid in $(pgrep -x conmon); do
    tr '\0' '\n' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -- "$1" || continue
    id=$(tr '\0' '\n' <"/proc/$pid/cmdline" | sed -n '/^-c$/{n;p}')
    runc --root "$1/exec/runtime/runc-root" delete -f "$id" >/dev/null 2>&1 || runc delete -f "$id" >/dev/null 2>&1
  done
}

# start_containerd WORK: Debian's containerd on private paths under WORK/containerd (its CRI plugin off), in the
# background; sets ctrd (its PID) and C (ctr on its socket, namespace tscr-bench) and waits until it answers.
start_containerd() {
  mkdir -p "$1/containerd"
  printf 'version = 2\nroot = "%s/containerd/root"\nstate = "%s/containerd/state"\ndisabled_plugins = ["io.containerd.grpc.v1.cri"]\n[grpc]\n  address = "%s/containerd/containerd.sock"\n' \
    "$1" "$1" "$1" >"$1/containerd/config.toml"
  containerd --config "$1/containerd/config.toml" >>"$1/containerd.log" 2>&1 &
  ctrd=$!
  C="ctr -a $1/containerd/containerd.sock -n tscr-bench"
  for _ in $(seq 100); do $C version >/dev/null 2>&1 && break; sleep 0.1; done
}

# The CLI host (packages/cli/README.md) of a bench run: its own directory under $1, alive for the whole run.
# `tscr_bin` picks the bin as npm links it: the native client when built, else the Node bin.
tscr_bin() { if [ -x packages/cli/dist/tscr ]; then echo packages/cli/dist/tscr; else echo packages/cli/dist/main.cjs; fi; }
use_cli_host() { export TSCR_CLI_HOST_DIR="$1/cli-host" TSCR_CLI_HOST_IDLE=1800; }
# Waits until a host serves (the first call starts it, itself running on the Node bin); prints its pid, or nothing.
wait_cli_host() {
  "$1" version >/dev/null 2>&1 || true
  [ "${1##*/}" = tscr ] || return 0   # the Node bin: no host
  for _ in $(seq 100); do compgen -G "$TSCR_CLI_HOST_DIR/*.sock" >/dev/null && break; sleep 0.1; done
  cat "$TSCR_CLI_HOST_DIR"/*.pid 2>/dev/null | head -1 || true
}
# Ends the hosts of $TSCR_CLI_HOST_DIR by PID (no new one starts afterwards in this shell).
stop_cli_hosts() {
  local f p
  export TSCR_CLI_HOST=0
  for f in "${TSCR_CLI_HOST_DIR:-/nonexistent}"/*.pid; do
    [ -f "$f" ] || continue
    p=$(cat "$f" 2>/dev/null) && [ -n "$p" ] && kill "$p" 2>/dev/null
  done
  true
}
