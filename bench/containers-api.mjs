// The daemon side of `bench/containers.sh`: N containers (`sleep 3600`, no network) created and
// started through one warm gRPC client, one by one and all at once, without N CLI processes.
// Prints `seq <s> par <s> rounds <s,s,...> cpu <client>,<daemon>,<busy>` (par: the median of the all-at-once rounds;
// cpu: medians over those rounds of this client's, the daemon's and the whole machine's CPU, in ms per container,
// the starts only — the daemon's is `-` unless TSCR_BENCH_DAEMON_PID names it); removes what it made.
// Usage: node bench/containers-api.mjs IMAGE [N] [par] [ROUNDS]
// (with `par`, only the all-at-once rounds: `seq -` then; ROUNDS all-at-once rounds, 1 by default, each cleared before the next).
import { readFileSync } from 'node:fs';
import { DEFAULT_SOCKET } from '@tscr/api';
import { GrpcContainerService } from '@tscr/container/grpc';

const HZ = 100; // USER_HZ of /proc/*/stat and /proc/stat on Linux
const daemonPid = process.env.TSCR_BENCH_DAEMON_PID;
/** utime + stime of a process (all its threads), in ms. */
const procMs = (pid) => {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / HZ;
};
/** Busy time (user, nice, system, irq, softirq) of every CPU, in ms. */
const busyMs = () => {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).map(Number);
  return ((f[1] + f[2] + f[3] + f[6] + f[7]) * 1000) / HZ;
};
const clientMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
};

const [image, n = '50', only, rounds = '1'] = process.argv.slice(2);
const containers = new GrpcContainerService(process.env.TSCR_HOST ?? `unix://${DEFAULT_SOCKET}`);
const runOne = async () => {
  const { id } = await containers.create({
    config: { image, cmd: ['sleep', '3600'] },
    hostConfig: { networkMode: 'none' },
  });
  await containers.start(id);
  return id;
};
const clear = async (ids) => Promise.all(ids.map((id) => containers.remove(id, { force: true })));
let t0 = performance.now();
let seq;
if (only !== 'par') {
  const seqIds = [];
  for (let i = 0; i < Number(n); i++) seqIds.push(await runOne());
  seq = (performance.now() - t0) / 1000;
  await clear(seqIds);
}
const pars = [];
const cpu = { client: [], daemon: [], busy: [] };
for (let r = 0; r < Number(rounds); r++) {
  const [c0, d0, b0] = [clientMs(), daemonPid ? procMs(daemonPid) : 0, busyMs()];
  t0 = performance.now();
  const parIds = await Promise.all(Array.from({ length: Number(n) }, runOne));
  pars.push((performance.now() - t0) / 1000);
  cpu.client.push((clientMs() - c0) / Number(n));
  if (daemonPid) cpu.daemon.push((procMs(daemonPid) - d0) / Number(n));
  cpu.busy.push((busyMs() - b0) / Number(n));
  await clear(parIds);
}
const par = median(pars);
const ms = (xs) => (xs.length ? median(xs).toFixed(1) : '-');
console.log(
  `seq ${seq?.toFixed(3) ?? '-'} par ${par.toFixed(3)} rounds ${pars.map((p) => p.toFixed(3)).join(',')}` +
    ` cpu ${ms(cpu.client)},${ms(cpu.daemon)},${ms(cpu.busy)}`,
);
containers.close?.();
