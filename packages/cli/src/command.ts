import { isUnavailable } from '@tscr/api';
import type { DaemonTarget } from '@tscr/api/grpc';
import type { FlagSpec, FlagValues } from './args.js';
import type { Clients } from './client.js';
import { debugDetails, errorMessage } from './errors.js';

/** Something that delivers process signals (`process` in the bin; an EventEmitter in tests). */
export interface SignalSource {
  on(signal: NodeJS.Signals, listener: () => void): unknown;
  off(signal: NodeJS.Signals, listener: () => void): unknown;
}

/** Where the CLI reads and writes. `main` never touches `process` directly. */
export interface CliIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  /** Used for `TSCR_HOST` and `-e NAME` without a value. */
  env: Record<string, string | undefined>;
  /** For `tscr import -`; absent means stdin cannot be read. */
  stdin?: NodeJS.ReadableStream;
  /** SIGINT/SIGTERM for sig-proxy (`run`, `start -a`) and ending `events`/`logs -f`; absent means none arrive. */
  signals?: SignalSource;
}

/** What a command runs with. */
export interface Context {
  io: CliIo;
  clients: Clients;
  /** The daemon address as the user gave it (or the default). */
  host: string;
  /** The daemon with its TLS material, for clients a command makes itself. */
  target: DaemonTarget;
  debug: boolean;
  /** Milliseconds since the epoch; injectable for tests of relative times. */
  now(): number;
}

/** One `tscr` command. */
export interface Command {
  /** Words that select it, e.g. `['image', 'import']`. */
  path: string[];
  /** Other paths for the same command, e.g. `[['import']]`. */
  aliases?: string[][];
  /** What follows the command words, e.g. `[OPTIONS] IMAGE [COMMAND] [ARG...]` for `run`. */
  usage: string;
  /** One line for `--help`. */
  summary: string;
  flags: FlagSpec[];
  /** Flags end at the first positional (`run`, `create`). */
  stopAtPositional?: boolean;
  minArgs?: number;
  maxArgs?: number;
  /** Exit code for errors (usage and daemon): docker uses 125 for `run`/`create`; default 1. */
  errorExitCode?: number;
  /** Runs it; resolves with the process exit code. */
  run(ctx: Context, flags: FlagValues, args: string[]): Promise<number>;
}

/** Writes `data`, waiting for 'drain' when the stream's buffer is full. */
export function write(stream: NodeJS.WritableStream, data: string | Uint8Array): Promise<void> {
  if (stream.write(data)) return Promise.resolve();
  return new Promise((resolve) => stream.once('drain', () => resolve()));
}

/**
 * Runs `fn` for each argument, printing the line it returns, or the error
 * (`Error: …`) and going on, like `docker rm a b`. Resolves with 0, or 1
 * when any failed. An unreachable daemon ends it at once (rethrown).
 */
export async function forEachArg(
  ctx: Context,
  args: string[],
  fn: (arg: string) => Promise<string | undefined>,
): Promise<number> {
  let code = 0;
  for (const arg of args) {
    try {
      const line = await fn(arg);
      if (line !== undefined) await write(ctx.io.stdout, `${line}\n`);
    } catch (err) {
      if (isUnavailable(err)) throw err;
      code = 1;
      await reportError(ctx, err);
    }
  }
  return code;
}

/** Prints `err` as the CLI shows errors, with code, details and causes under `--debug`. */
export async function reportError(ctx: Context, err: unknown): Promise<void> {
  await write(ctx.io.stderr, `${errorMessage(err, ctx.host)}\n`);
  if (ctx.debug) await write(ctx.io.stderr, `${debugDetails(err)}\n`);
}
