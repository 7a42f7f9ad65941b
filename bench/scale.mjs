// The measuring side of `bench/scale.sh`: N sleeping containers (`sleep 3600`, no network) created and
// started one after another through one warm gRPC client, each start timed (create + start), with the
// listing (`tscr ps` as a fresh CLI process, and the API list from the warm client) and the daemon's RSS
// measured at 50 and at N running; then every container is removed and the remainder counted.
// Prints one JSON object on stdout.
// Usage: node bench/scale.mjs --image IMG --pid DAEMON_PID --cli "node packages/cli/dist/main.cjs" [--count N]
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { DEFAULT_SOCKET } from '@tscr/api';
import { GrpcContainerService } from '@tscr/container/grpc';

const { values } = parseArgs({
  options: {
    image: { type: 'string' },
    pid: { type: 'string' },
    cli: { type: 'string' },
    count: { type: 'string', default: '500' },
    at: { type: 'string', default: '50' },
    runs: { type: 'string', default: '15' },
  },
});
const count = Number(values.count);
const at = Number(values.at);
const runs = Number(values.runs);
const containers = new GrpcContainerService(process.env.TSCR_HOST ?? `unix://${DEFAULT_SOCKET}`);

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const rssMiB = () => {
  const m = /^VmRSS:\s+(\d+)/m.exec(readFileSync(`/proc/${values.pid}/status`, 'utf8'));
  return Number(m[1]) / 1024;
};
const [cliBin, ...cliArgs] = values.cli.split(' ');
const timed = (args) => {
  const t0 = performance.now();
  const r = spawnSync(cliBin, [...cliArgs, ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`tscr ${args.join(' ')} failed: ${r.stderr}`);
  return [performance.now() - t0, r.stdout];
};
/**
 * Median wall time of `tscr ps` run as a fresh process (as hyperfine -N would), after 2 warm-ups, and of
 * `tscr version` run right after each: the machine's load moves both alike, the listing only the first.
 */
const cliPs = (expect) => {
  const ps = [];
  const version = [];
  for (let i = 0; i < runs + 2; i++) {
    const [dt, stdout] = timed(['ps']);
    const lines = stdout.split('\n').filter(Boolean).length - 1;
    if (lines !== expect) throw new Error(`tscr ps listed ${lines} containers, expected ${expect}`);
    const [dv] = timed(['version']);
    if (i >= 2) {
      ps.push(dt);
      version.push(dv);
    }
  }
  return [median(ps), median(version)];
};
const apiList = async (expect) => {
  const times = [];
  for (let i = 0; i < runs + 2; i++) {
    const t0 = performance.now();
    const list = await containers.list();
    const dt = performance.now() - t0;
    if (list.length !== expect) throw new Error(`list returned ${list.length} containers, expected ${expect}`);
    if (i >= 2) times.push(dt);
  }
  return median(times);
};
const settle = () => new Promise((r) => setTimeout(r, 3000));
/** The daemon's CPU time (user + system), ms, from /proc/PID/stat (clock ticks of 10 ms). */
const cpuMs = () => {
  const stat = readFileSync(`/proc/${values.pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
};
/** Share of one core the daemon uses over 10 s with nothing asked of it: its background work per container. */
const idleCpu = async () => {
  const c0 = cpuMs();
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, 10_000));
  return (100 * (cpuMs() - c0)) / (performance.now() - t0);
};

const runOne = async (i) => {
  const t0 = performance.now();
  const { id } = await containers.create({
    name: `tscr-bench-scale-${i}`,
    config: { image: values.image, cmd: ['sleep', '3600'] },
    hostConfig: { networkMode: 'none' },
  });
  await containers.start(id);
  return [id, performance.now() - t0];
};

const out = { count, at, starts: [] };
const ids = [];
// Two warm-up containers (not counted), so the first timed start is not the client's or daemon's first call.
for (let i = 0; i < 2; i++) {
  const [id] = await runOne(`warm-${i}`);
  await containers.remove(id, { force: true });
}
for (let i = 1; i <= count; i++) {
  const [id, ms] = await runOne(i);
  ids.push(id);
  if (i % 50 === 0) process.stderr.write(`scale: ${i} running, last start ${ms.toFixed(0)} ms\n`);
  out.starts.push(ms);
  if (i === at || i === count) {
    await settle();
    out[`idleCpu${i}`] = await idleCpu();
    [out[`ps${i}`], out[`version${i}`]] = cliPs(i);
    out[`list${i}`] = await apiList(i);
    out[`rss${i}`] = rssMiB();
  }
}
// Removal of all of them, 10 at a time (the API's removes are independent).
const t0 = performance.now();
for (let i = 0; i < ids.length; i += 10) {
  await Promise.all(ids.slice(i, i + 10).map((id) => containers.remove(id, { force: true })));
}
out.removeAllS = (performance.now() - t0) / 1000;
// The start latency along the way: the median of each tenth of the run.
const tenth = Math.max(1, Math.floor(count / 10));
out.startDeciles = Array.from({ length: Math.ceil(count / tenth) }, (_, k) =>
  median(out.starts.slice(k * tenth, (k + 1) * tenth)),
);
out.left = (await containers.list({ all: true })).length;
await settle();
out.rssAfter = rssMiB();
console.log(JSON.stringify(out));
containers.close?.();
