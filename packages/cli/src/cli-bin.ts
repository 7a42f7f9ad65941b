/**
 * The CLI on the real process: runs {@link main} and exits with its code.
 * Bundled with every dependency into one file (dist/cli.cjs), which the bin
 * (dist/main.cjs, see main.ts) loads with a V8 code cache.
 */
import { adoptDeferredCaCerts } from '@tscr/api';
import { main } from './cli.js';
import type { CliIo } from './command.js';
import { mark } from './startup-trace.js';

mark('bundle evaluated');
// The bin's first line moved NODE_EXTRA_CA_CERTS aside (see tsup.shared.js): children see it again, TLS clients add it.
adoptDeferredCaCerts();

/**
 * A reader that stops early (`| head -1`) closes our output: end quietly, as a
 * program killed by SIGPIPE (the Docker CLI, any C tool) does, with the status a
 * shell shows for that (128 + 13). Node ignores SIGPIPE, so the write fails with
 * EPIPE instead; unhandled, that was a stack trace. The daemon sees the call
 * cancelled; a `--rm` container is still removed by the daemon when it exits.
 */
const SIGPIPE_STATUS = 141;
function quietOnEpipe<T extends NodeJS.WriteStream>(out: T): T {
  out.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(SIGPIPE_STATUS);
    throw err;
  });
  return out;
}

let stderr: NodeJS.WriteStream | undefined;
const io: CliIo = {
  stdout: quietOnEpipe(process.stdout),
  // process.stderr is made on first access (a terminal's loads `node:tty`); most runs never write to it.
  get stderr() {
    stderr ??= quietOnEpipe(process.stderr);
    return stderr;
  },
  env: process.env,
  // process.stdin is made on first access; only `import -` needs it.
  get stdin() {
    return process.stdin;
  },
  signals: process,
};

void main(process.argv.slice(2), io).then((code) => {
  mark('command done');
  // Exit once stdout has flushed, without waiting for idle gRPC channels to wind down.
  process.stdout.write('', () => process.exit(code));
});
