# Sourced by bench/pull.sh and bench/pull-threads.sh: the bench layer (bench/pull-image.mjs, mixed, 165 MB) made
# in WORK, a loopback docker-registry serving it (bench/registry.sh; pushed with skopeo) and a private tscrd.
# pull_setup WORK sets $REF (the image), $port and $registry (its pid), $daemon (tscrd's pid), $tscr (the CLI
# command) and TSCR_HOST; WORK/layer-info says what the layer holds. pull_stop WORK ends both and removes WORK.
source bench/registry.sh
pull_setup() {
  local work=$1
  node bench/pull-image.mjs "$work" mixed 165 >"$work/layer-info"
  start_registry "$work"
  REF="127.0.0.1:$port/bench/big:1"
  skopeo --insecure-policy copy -q --dest-tls-verify=false "oci:$work/oci:bench" "docker://$REF"
  export TSCR_HOST="unix://$work/exec/tscr.sock"
  tscr="node packages/cli/dist/main.cjs"
  node packages/daemon/dist/main.cjs --host "$TSCR_HOST" --root "$work/root" --exec-root "$work/exec" \
    --cgroup-parent tscr-bench >"$work/tscrd.log" 2>&1 &
  daemon=$!
  for _ in $(seq 100); do $tscr version >/dev/null 2>&1 && break; sleep 0.1; done
}
pull_stop() {
  local work=$1
  [ -n "${daemon:-}" ] && kill "$daemon" 2>/dev/null && { wait "$daemon" 2>/dev/null || true; }
  [ -n "${registry:-}" ] && kill "$registry" 2>/dev/null && { wait "$registry" 2>/dev/null || true; }
  umount -R "$work" 2>/dev/null || true
  rm -rf "$work"
}
