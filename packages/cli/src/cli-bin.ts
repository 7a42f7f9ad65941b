/**
 * The CLI on the real process: runs {@link main} and exits with its code.
 * Bundled with every dependency into one file (dist/cli.cjs), which the bin
 * (dist/main.cjs, see main.ts) loads with a V8 code cache.
 */
import { main } from './cli.js';
import type { CliIo } from './command.js';

const io: CliIo = {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  // process.stdin is made on first access; only `import -` needs it.
  get stdin() {
    return process.stdin;
  },
  signals: process,
};

void main(process.argv.slice(2), io).then((code) => {
  // Exit once stdout has flushed, without waiting for idle gRPC channels to wind down.
  process.stdout.write('', () => process.exit(code));
});
