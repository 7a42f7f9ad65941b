// The API path: create → attach → start → wait → remove through the gRPC client,
// from a warm process (connection up, modules loaded), as an embedding app would.
// Writes {results:[{command, median, min, max, times}]} in hyperfine's JSON shape.
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { DEFAULT_SOCKET } from '@tscr/api';
import { GrpcContainerService } from '@tscr/container/grpc';
import { runOnce } from './api-run.mjs';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '20' },
    warmup: { type: 'string', default: '3' },
    image: { type: 'string' },
    out: { type: 'string' },
    // Also writes each call's client-side median (create, start, wait, remove) here, in ms.
    calls: { type: 'string' },
    // Milliseconds to wait between runs (0: back to back), so the last run's removals behind the calls end first.
    pause: { type: 'string', default: '0' },
    // No attach before the start (a detached run, as `docker run -d`); see api-run.mjs.
    'no-attach': { type: 'boolean', default: false },
    // grpc-js (the library's default) or lite: the same client over the CLI's lean HTTP/2 transport (bench/lite-client.mjs).
    transport: { type: 'string', default: 'grpc-js' },
  },
});
const host = process.env.TSCR_HOST ?? `unix://${DEFAULT_SOCKET}`;
const Client =
  values.transport === 'lite'
    ? (await import('./lite-client.mjs')).liteClients().then((m) => m.GrpcContainerService)
    : GrpcContainerService;
const containers = new (await Client)(host);

const callTimes = { create: [], start: [], wait: [], remove: [] };
const since = (t) => Number(process.hrtime.bigint() - t) / 1e6;

async function once(record) {
  const t0 = process.hrtime.bigint();
  let t = t0;
  const laps = { attached: 'create', started: 'start', drained: 'wait', removed: 'remove' };
  await runOnce(
    containers,
    values.image,
    (step) => {
      if (!laps[step]) return;
      if (record) callTimes[laps[step]].push(since(t));
      t = process.hrtime.bigint();
    },
    { attach: !values['no-attach'] },
  );
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

for (let i = 0; i < Number(values.warmup); i++) await once(false);
const times = [];
const pause = Number(values.pause);
for (let i = 0; i < Number(values.runs); i++) {
  if (pause > 0) await new Promise((r) => setTimeout(r, pause));
  times.push(await once(true));
}
const sorted = [...times].sort((a, b) => a - b);
const median = sorted[Math.floor(sorted.length / 2)];
writeFileSync(
  values.out,
  JSON.stringify({
    results: [{ command: 'tscr API create/start/wait/remove', median, min: sorted[0], max: sorted.at(-1), times }],
  }),
);
if (values.calls) {
  const med = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  writeFileSync(
    values.calls,
    JSON.stringify(Object.fromEntries(Object.entries(callTimes).map(([k, v]) => [k, med(v)]))),
  );
}
containers.close?.();
