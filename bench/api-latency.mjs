// The API path: create → attach → start → wait → remove through the gRPC client,
// from a warm process (connection up, modules loaded), as an embedding app would.
// Writes {results:[{command, median, min, max, times}]} in hyperfine's JSON shape.
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { DEFAULT_SOCKET } from '@tscr/api';
import { GrpcContainerService } from '@tscr/container/grpc';

const { values } = parseArgs({
  options: { runs: { type: 'string', default: '20' }, image: { type: 'string' }, out: { type: 'string' } },
});
const host = process.env.TSCR_HOST ?? `unix://${DEFAULT_SOCKET}`;
const containers = new GrpcContainerService(host);

async function once() {
  const t0 = process.hrtime.bigint();
  const { id } = await containers.create({
    config: { image: values.image, cmd: ['true'] },
    hostConfig: { networkMode: 'none' },
  });
  const drained = (async () => {
    for await (const _ of containers.attach(id, { stdout: true, stderr: true })) void _;
  })();
  await containers.start(id);
  await containers.wait(id);
  await drained;
  await containers.remove(id);
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

for (let i = 0; i < 3; i++) await once();
const times = [];
for (let i = 0; i < Number(values.runs); i++) times.push(await once());
const sorted = [...times].sort((a, b) => a - b);
const median = sorted[Math.floor(sorted.length / 2)];
writeFileSync(
  values.out,
  JSON.stringify({
    results: [{ command: 'tscr API create/start/wait/remove', median, min: sorted[0], max: sorted.at(-1), times }],
  }),
);
containers.close?.();
