/**
 * `node examples/orchestrator/dist/main.js --service NAME --image IMAGE
 * --replicas N --context A --context B [--health-cmd CMD] [-- COMMAND…]`:
 * keeps the service running over the daemons of those contexts (saved by
 * `tscr context create`) until SIGINT/SIGTERM. On SIGHUP it reads the image to roll
 * to from `--update-file` (one line) and rolls the service there.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { readContext } from './contexts.js';
import { closeNode, connectNode, Orchestrator } from './orchestrator.js';

async function main(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      service: { type: 'string' },
      image: { type: 'string' },
      replicas: { type: 'string', default: '2' },
      context: { type: 'string', multiple: true },
      'health-cmd': { type: 'string' },
      'update-file': { type: 'string' },
    },
  });
  if (!values.service || !values.image || !values.context?.length)
    throw new Error('usage: main.js --service NAME --image IMAGE --replicas N --context CTX… [-- COMMAND…]');
  const nodes = values.context.map((name) => connectNode(name, readContext(name)));
  const orchestrator = new Orchestrator(
    nodes,
    {
      name: values.service,
      image: values.image,
      replicas: Number(values.replicas),
      ...(positionals.length > 0 && { cmd: positionals }),
      ...(values['health-cmd'] && {
        healthcheck: { test: ['CMD-SHELL', values['health-cmd']], intervalMs: 1000, retries: 2 },
      }),
    },
    (line) => console.log(line),
  );
  const stop = new AbortController();
  process.on('SIGINT', () => stop.abort());
  process.on('SIGTERM', () => stop.abort());
  process.on('SIGHUP', () => {
    const file = values['update-file'];
    if (!file) return;
    const image = readFileSync(file, 'utf8').trim();
    orchestrator.rollingUpdate(image).then(
      () => console.log(`rolled to ${image}`),
      (err: unknown) => console.error(`update failed: ${(err as Error).message}`),
    );
  });
  try {
    await orchestrator.run(stop.signal);
  } finally {
    for (const n of nodes) closeNode(n);
  }
}

main(process.argv.slice(2)).catch((err: unknown) => {
  console.error(`orchestrator: ${(err as Error).message}`);
  process.exit(1);
});
