// The daemon side of `bench/containers.sh`: N containers (`sleep 3600`, no network) created and
// started through one warm gRPC client, one by one and all at once, without N CLI processes.
// Prints `seq <s> par <s> rounds <s,s,...>` (par: the median of the all-at-once rounds); removes what it made.
// Usage: node bench/containers-api.mjs IMAGE [N] [par] [ROUNDS]
// (with `par`, only the all-at-once rounds: `seq -` then; ROUNDS all-at-once rounds, 1 by default, each cleared before the next).
import { DEFAULT_SOCKET } from '@tscr/api';
import { GrpcContainerService } from '@tscr/container/grpc';

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
for (let r = 0; r < Number(rounds); r++) {
  t0 = performance.now();
  const parIds = await Promise.all(Array.from({ length: Number(n) }, runOne));
  pars.push((performance.now() - t0) / 1000);
  await clear(parIds);
}
const sorted = [...pars].sort((a, b) => a - b);
const mid = sorted.length >> 1;
const par = sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
console.log(`seq ${seq?.toFixed(3) ?? '-'} par ${par.toFixed(3)} rounds ${pars.map((p) => p.toFixed(3)).join(',')}`);
containers.close?.();
