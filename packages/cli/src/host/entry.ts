/**
 * The CLI host's process (dist/cli-host.cjs `--socket PATH`), started by the `tscr` bin's client with the
 * host's lock on fd 3 (held, never touched, until the process ends) and its stdout/stderr in the log file.
 * Serves until idle, then exits 0; an uncaught exception is logged, the socket removed, and the exit is 70.
 */
import { rmSync } from 'node:fs';
import { startCliHost, type CliHost } from './server.js';

/** Exit status after an uncaught exception (EX_SOFTWARE). */
const CRASH_EXIT = 70;

function socketArg(argv: readonly string[]): string | undefined {
  const at = argv.indexOf('--socket');
  const inline = argv.find((a) => a.startsWith('--socket='));
  return at >= 0 ? argv[at + 1] : inline?.slice('--socket='.length);
}

const socket = socketArg(process.argv.slice(2));
if (!socket?.startsWith('/')) {
  process.stderr.write('usage: cli-host.cjs --socket /absolute/path/cli-ID.sock\n');
  process.exit(2);
}

let host: CliHost | undefined;
process.on('uncaughtException', (err) => {
  process.stderr.write(`tscr cli host: uncaught exception: ${err?.stack ?? String(err)}\n`);
  // Stop accepting and take the socket away: new clients fall back to the bin at once.
  if (host) void host.stop();
  else rmSync(socket, { force: true });
  process.exit(CRASH_EXIT);
});
// The bin's own convention: a peer that went away is not a crash of the host.
process.on('SIGPIPE', () => undefined);
for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
  process.once(signal, () => void (host ? host.stop() : Promise.resolve()).then(() => process.exit(0)));
}

void startCliHost({ socket }).then(
  (h) => {
    host = h;
    void h.done.then(() => process.exit(0));
  },
  (err: Error) => {
    process.stderr.write(`tscr cli host: cannot listen on ${socket}: ${err.message}\n`);
    process.exit(1);
  },
);
