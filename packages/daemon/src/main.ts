#!/usr/bin/env -S node --max-semi-space-size=2
/**
 * `tscrd`: runs the daemon, or serves one layer alone (`serve-layer`).
 * (The shebang caps V8's young generation at 2 MiB semi-spaces: bursts of
 * concurrent calls otherwise grow the daemon's RSS by ~20 MiB for no gain.)
 * Prints `tscrd listening on <address>` once ready. SIGTERM/SIGINT shut it
 * down gracefully; containers keep running and are picked up at the next start.
 */
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { errorCode, failedPrecondition } from '@tscr/api';
import { composeDaemon, serveLayer, type Daemon } from './compose.js';
import { parseCommandLine, type DaemonConfig } from './config.js';

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Writes `<exec-root>/tscrd.pid`, refusing when another live daemon holds it. */
async function takePidFile(config: DaemonConfig): Promise<string> {
  const path = join(config.execRoot, 'tscrd.pid');
  const existing = Number.parseInt(await readFile(path, 'utf8').catch(() => ''), 10);
  if (existing > 0 && existing !== process.pid && isAlive(existing)) {
    throw failedPrecondition(`tscrd is already running with pid ${existing} (${path})`);
  }
  await writeFile(path, `${process.pid}\n`, { mode: 0o644 });
  return path;
}

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
      await mkdir(command.config.execRoot, { recursive: true, mode: 0o711 });
      const pidFile = await takePidFile(command.config);
      const daemon = await composeDaemon(command.config);
      stopOnSignals(daemon, () => rm(pidFile, { force: true }));
      console.log(`tscrd listening on ${daemon.address}`);
      if (daemon.dockerAddress) console.log(`tscrd: Docker Engine API on ${daemon.dockerAddress}`);
      if (daemon.criAddress) console.log(`tscrd: Kubernetes CRI on ${daemon.criAddress}`);
      return;
    }
  }
}

main(process.argv.slice(2)).catch((err: unknown) => {
  console.error(`tscrd: ${err instanceof Error ? err.message : String(err)} (${errorCode(err)})`);
  process.exit(1);
});
