// The daemon side of `bench/containers.sh`: N containers (`sleep 3600`, no network) created and
// started through one warm gRPC client, one by one and all at once, without N CLI processes.
// Prints `seq <s> par <s>`; removes what it made. Usage: node bench/containers-api.mjs IMAGE [N] [par]
// (with `par`, only the all-at-once round: `seq -` then).
import { DEFAULT_SOCKET } from '@tscr/api';
import { GrpcContainerService } from '@tscr/container/grpc';

const [image, n = '50', only] = process.argv.slice(2);
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
t0 = performance.now();
const parIds = await Promise.all(Array.from({ length: Number(n) }, runOne));
const par = (performance.now() - t0) / 1000;
await clear(parIds);
console.log(`seq ${seq?.toFixed(3) ?? '-'} par ${par.toFixed(3)}`);
containers.close?.();
