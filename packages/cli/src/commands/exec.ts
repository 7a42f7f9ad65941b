import { bool, str } from '../args.js';
import { reportError, type Command } from '../command.js';
import { startFailureExitCode } from '../errors.js';
import { followTerminalSize, pumpChunks } from './attach.js';
import { envList } from './container-flags.js';
import {
  DEFAULT_DETACH_KEYS,
  DetachScanner,
  isTerminal,
  makeRaw,
  parseDetachKeys,
  readInput,
  terminalSize,
} from './tty.js';

/** `tscr exec`. */
export const execCommand: Command = {
  path: ['exec'],
  aliases: [['container', 'exec']],
  usage: '[OPTIONS] CONTAINER COMMAND [ARG...]',
  summary: 'Execute a command in a running container',
  flags: [
    { name: 'detach', short: 'd', type: 'bool', description: 'Detached mode: run command in the background' },
    { name: 'interactive', short: 'i', type: 'bool', description: 'Keep STDIN open even if not attached' },
    { name: 'tty', short: 't', type: 'bool', description: 'Allocate a pseudo-TTY' },
    { name: 'env', short: 'e', type: 'list', description: 'Set environment variables' },
    { name: 'env-file', type: 'list', description: 'Read in a file of environment variables' },
    { name: 'workdir', short: 'w', type: 'string', description: 'Working directory inside the container' },
    { name: 'user', short: 'u', type: 'string', description: 'Username or UID (format: <name|uid>[:<group|gid>])' },
    { name: 'privileged', type: 'bool', description: 'Give extended privileges to the command' },
    { name: 'detach-keys', type: 'string', description: 'Override the key sequence for detaching a container' },
  ],
  stopAtPositional: true,
  minArgs: 2,
  async run(ctx, flags, args) {
    const [ref, ...cmd] = args as [string, ...string[]];
    const keys = parseDetachKeys(str(flags, 'detach-keys') || DEFAULT_DETACH_KEYS);
    const detach = bool(flags, 'detach');
    const tty = bool(flags, 'tty');
    const interactive = bool(flags, 'interactive') && !detach;
    const env = await envList(flags, ctx.io.env);
    const workdir = str(flags, 'workdir');
    const user = str(flags, 'user');
    const containers = await ctx.clients.containers();
    const { id } = await containers.createExec(ref, {
      cmd,
      ...(env.length ? { env } : {}),
      ...(workdir ? { workingDir: workdir } : {}),
      ...(user ? { user } : {}),
      tty,
      privileged: bool(flags, 'privileged'),
      attachStdin: interactive,
      attachStdout: !detach,
      attachStderr: !detach,
    });
    try {
      if (detach) {
        for await (const _ of containers.startExec(id, { detach: true })) {
          /* nothing comes */
        }
        return 0;
      }
      const ac = new AbortController();
      let detached = false;
      const input = interactive ? ctx.io.stdin : undefined;
      const stdin = input
        ? readInput(input, {
            ...(isTerminal(input) ? { scanner: new DetachScanner(keys) } : {}),
            onDetach: () => {
              detached = true;
              ac.abort();
            },
            signal: ac.signal,
          })
        : undefined;
      const size = tty ? terminalSize(ctx.io.stdout) : undefined;
      const restore = tty && input ? makeRaw(input) : () => undefined;
      let unfollow: () => void = () => undefined;
      try {
        const output = containers.startExec(id, {
          ...(stdin ? { stdin } : {}),
          ...(size ? { size } : {}),
          signal: ac.signal,
        });
        if (tty) {
          // The first resize is in startExec; later ones follow SIGWINCH.
          let first = true;
          unfollow = followTerminalSize(ctx, (s) => {
            if (first) {
              first = false;
              return Promise.resolve();
            }
            return containers.resizeExec(id, s);
          });
        }
        await pumpChunks(ctx, output);
      } finally {
        restore();
        unfollow();
        ac.abort();
      }
      if (detached) return 0;
      return (await containers.inspectExec(id)).exitCode ?? 126;
    } catch (err) {
      await reportError(ctx, err);
      const code = startFailureExitCode(err);
      return code === 125 ? 126 : code;
    }
  },
};
