# Sourced by the pull and transfer benchmarks: a free loopback port, and a docker-registry on one.
# free_port prints a free 127.0.0.1 port. start_registry WORK sets $port and $registry (the pid), with
# filesystem storage in WORK/registry, and waits until /v2/ answers.
free_port() {
  node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}
start_registry() {
  local work=$1
  port=$(free_port)
  cat >"$work/registry.yml" <<YML
version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $work/registry
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$port
YML
  docker-registry serve "$work/registry.yml" >"$work/registry.log" 2>&1 &
  registry=$!
  for _ in $(seq 100); do curl -fs "http://127.0.0.1:$port/v2/" >/dev/null 2>&1 && break; sleep 0.1; done
}
