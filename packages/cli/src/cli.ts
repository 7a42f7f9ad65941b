import { internal, VERSION } from '@tscr/api';
import { bool, parseArgs } from './args.js';
import type { DaemonTarget } from '@tscr/api/grpc';
import { createGrpcClients, DEFAULT_HOST, type Clients } from './client.js';
import { resolveTarget } from './target.js';
import { reportError, write, type CliIo, type Command, type Context } from './command.js';
import { errorMessage, isUsageError } from './errors.js';
import { globalFlags, helpFlag } from './global-flags.js';
import { mark } from './startup-trace.js';

/** Options of {@link main}, for embedding and tests. */
export interface MainOptions {
  /** Makes the daemon clients for a daemon; default: gRPC clients ({@link createGrpcClients}). */
  clients?: (target: DaemonTarget) => Clients;
  /** Clock for relative times; default `Date.now`. */
  now?: () => number;
}

/** Exit code for mistakes in the global flags or the command word. */
const USAGE_EXIT = 1;

async function usageFailure(
  io: CliIo,
  message: string,
  seeHelp: string,
  code: number,
  usage?: string,
): Promise<number> {
  await write(io.stderr, `tscr: ${message}\nSee '${seeHelp} --help'.\n${usage ? `\n${usage}` : ''}`);
  return code;
}

function argCountProblem(c: Command, n: number): string | undefined {
  const min = c.minArgs ?? 0;
  if (c.maxArgs !== undefined && c.minArgs === c.maxArgs && n !== min) {
    return `requires exactly ${min} argument${min === 1 ? '' : 's'}.`;
  }
  if (n < min) return `requires at least ${min} argument${min === 1 ? '' : 's'}.`;
  if (c.maxArgs !== undefined && n > c.maxArgs) {
    return c.maxArgs === 0
      ? 'accepts no arguments.'
      : `accepts at most ${c.maxArgs} argument${c.maxArgs === 1 ? '' : 's'}.`;
  }
  return undefined;
}

/** The help texts: loaded when a run prints help (the command table loads once a command word is there). */
const loadHelp = () => import('./help.js');

async function runCommand(io: CliIo, ctx: Context, command: Command, used: string[], rest: string[]): Promise<number> {
  const errorExit = command.errorExitCode ?? 1;
  const name = `tscr ${used.join(' ')}`;
  try {
    const { flags, positionals } = parseArgs(rest, [...command.flags, helpFlag], {
      stopAtPositional: command.stopAtPositional ?? false,
    });
    if (bool(flags, 'help')) {
      const { commandHelp } = await loadHelp();
      await write(io.stdout, commandHelp(command, used));
      return 0;
    }
    const problem = argCountProblem(command, positionals.length);
    if (problem) {
      return await usageFailure(
        io,
        `"${name}" ${problem}`,
        name,
        errorExit,
        `Usage:  ${name} ${command.usage}\n\n${command.summary}\n`,
      );
    }
    return await command.run(ctx, flags, positionals);
  } catch (err) {
    if (isUsageError(err)) return usageFailure(io, (err as Error).message, name, errorExit);
    await reportError(ctx, err);
    return errorExit;
  }
}

/**
 * Runs the `tscr` CLI in-process: `argv` without the node and script
 * paths, output to `io`. Resolves with the exit code (never rejects, never
 * calls `process.exit`). Uses docker's conventions: 0 success, 1 for a
 * failed command, 125 when `run`/`create` fail before the container runs,
 * 126/127 when its command cannot be executed/found, else the container's code.
 */
export async function main(argv: readonly string[], io: CliIo, opts: MainOptions = {}): Promise<number> {
  let global: ReturnType<typeof parseArgs>;
  try {
    global = parseArgs(argv, globalFlags, { stopAtPositional: true });
  } catch (err) {
    return usageFailure(io, (err as Error).message, 'tscr', USAGE_EXIT);
  }
  const { flags, positionals: words } = global;
  if (bool(flags, 'version')) {
    await write(io.stdout, `tscr version ${VERSION}\n`);
    return 0;
  }
  const { findCommand, groups } = await import('./commands/table.js');
  if (words.length === 0 || (words[0] === 'help' && words.length === 1)) {
    const { rootHelp } = await loadHelp();
    await write(words.length === 0 && !bool(flags, 'help') ? io.stderr : io.stdout, rootHelp());
    return words.length === 0 && !bool(flags, 'help') ? USAGE_EXIT : 0;
  }
  const helpWanted = words[0] === 'help' || bool(flags, 'help');
  const target = words[0] === 'help' ? words.slice(1) : words;
  const found = findCommand(target);
  if (!found) {
    const group = target[0]!;
    if (group in groups && (target.length === 1 || helpWanted || target[1] === '--help')) {
      const { groupHelp } = await loadHelp();
      await write(io.stdout, groupHelp(group));
      return 0;
    }
    const unknown = group in groups ? `${group} ${target[1]}` : group;
    return usageFailure(io, `'${unknown}' is not a tscr command.`, 'tscr', USAGE_EXIT);
  }
  const { used } = found;
  const command = await found.entry.load();
  // A lean bundle of the bin (lean-bundles.ts) holds only some commands; the bin never routes others to it.
  if (!command) throw internal(`tscr: "${used.join(' ')}" is not in this bundle of the bin`);
  mark(`command found: ${used.join(' ')}`);
  if (helpWanted) {
    const { commandHelp } = await loadHelp();
    await write(io.stdout, commandHelp(command, used));
    return 0;
  }
  let daemon: DaemonTarget;
  try {
    daemon = resolveTarget(flags, io.env);
  } catch (err) {
    if (isUsageError(err)) return usageFailure(io, (err as Error).message, 'tscr', USAGE_EXIT);
    // A current context that is gone must not lock the user out of `tscr context use default`.
    if (command.path[0] === 'context') daemon = { address: DEFAULT_HOST };
    else {
      await write(io.stderr, `${errorMessage(err, '')}\n`);
      return USAGE_EXIT;
    }
  }
  const clients = (opts.clients ?? createGrpcClients)(daemon);
  const host = daemon.address;
  const ctx: Context = { io, clients, host, target: daemon, debug: bool(flags, 'debug'), now: opts.now ?? Date.now };
  try {
    return await runCommand(io, ctx, command, used, target.slice(used.length));
  } finally {
    clients.close();
  }
}
