/**
 * `tscrd`: runs the daemon, or serves one layer alone (`serve-layer`).
 * (The bin's first lines, from tsup.config.ts, run Node with V8's young
 * generation capped at 2 MiB semi-spaces: bursts of concurrent calls otherwise
 * grow the daemon's RSS by ~20 MiB for no gain; and they defer
 * NODE_EXTRA_CA_CERTS, which {@link adoptDeferredCaCerts} takes back.)
 * Prints `tscrd listening on <address>` once ready. SIGTERM/SIGINT shut it
 * down gracefully; containers keep running and are picked up at the next start.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { adoptDeferredCaCerts, armedFailpoints, errorCode } from '@tscr/api';
import { composeDaemon, serveLayer, type Daemon } from './compose.js';
import { parseCommandLine } from './config.js';
import { lockPidFile } from './pid-file.js';

function stopOnSignals(daemon: Daemon, cleanup: () => Promise<void>): void {
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    console.error(`tscrd: ${signal}: shutting down (containers keep running)`);
    daemon
      .close()
      .then(cleanup)
      .then(
        () => process.exit(0),
        (err: unknown) => {
          console.error(`tscrd: shutdown: ${err instanceof Error ? err.message : String(err)}`);
          process.exit(1);
        },
      );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

async function main(argv: string[]): Promise<void> {
  // libuv's pool has 4 threads by default; a start or removal does dozens of small file operations and
  // rmdirs of cgroups that sleep in the kernel, so 50 at once queued behind each other. Set before its first use.
  process.env.UV_THREADPOOL_SIZE ??= '16';
  const command = await parseCommandLine(argv);
  switch (command.kind) {
    case 'help':
      process.stdout.write(command.text);
      return;
    case 'serve-layer': {
      const server = await serveLayer(command.layer, command.listen, command.config);
      stopOnSignals(server, async () => undefined);
      console.log(`tscrd listening on ${server.address}`);
      return;
    }
    case 'daemon': {
      // Test-only crash points (TSCR_FAILPOINTS): refused when unknown, announced when armed.
      const armed = [...armedFailpoints()].map(([name, action]) => `${name}=${action}`);
      if (armed.length > 0) console.error(`tscrd: failpoints armed: ${armed.join(', ')}`);
      await mkdir(command.config.execRoot, { recursive: true, mode: 0o711 });
      // `<exec-root>/tscrd.pid`, locked until this process exits: a second daemon on the same roots is refused.
      const pidFile = await lockPidFile(join(command.config.execRoot, 'tscrd.pid'));
      const daemon = await composeDaemon(command.config);
      stopOnSignals(daemon, () => pidFile.release());
      console.log(`tscrd listening on ${daemon.address}`);
      if (daemon.dockerAddress) console.log(`tscrd: Docker Engine API on ${daemon.dockerAddress}`);
      if (daemon.criAddress) console.log(`tscrd: Kubernetes CRI on ${daemon.criAddress}`);
      return;
    }
  }
}

adoptDeferredCaCerts();
main(process.argv.slice(2)).catch((err: unknown) => {
  console.error(`tscrd: ${err instanceof Error ? err.message : String(err)} (${errorCode(err)})`);
  process.exit(1);
});
