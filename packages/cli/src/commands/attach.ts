import { failedPrecondition, isCancelled } from '@tscr/api';
import type { ContainerService, OutputChunk, TerminalSize } from '@tscr/container';
import { bool, str } from '../args.js';
import { reportError, write, type Command, type Context } from '../command.js';
import { startFailureExitCode } from '../errors.js';
import {
  DEFAULT_DETACH_KEYS,
  DetachScanner,
  isTerminal,
  makeRaw,
  parseDetachKeys,
  readInput,
  terminalSize,
} from './tty.js';

/** Options of {@link interactiveSession}. */
export interface InteractiveOptions {
  /** Start the container once attached (`run`, `start -a`); false for `attach`. */
  start: boolean;
  /** Wait until it has been removed (`--rm`). */
  removed: boolean;
  /** The container has a TTY: the local terminal goes raw and its size follows ours. */
  tty: boolean;
  /** Send our stdin. */
  stdin: boolean;
  /** Default true. */
  stdout?: boolean;
  /** Default true. */
  stderr?: boolean;
  /** `--detach-keys` (docker's format); default ctrl-p,ctrl-q. */
  detachKeys?: string;
}

/** Copies output chunks to our stdout/stderr. */
export async function pumpChunks(ctx: Context, output: AsyncIterable<OutputChunk>): Promise<void> {
  try {
    for await (const c of output) await write(c.stream === 'stderr' ? ctx.io.stderr : ctx.io.stdout, c.data);
  } catch (err) {
    if (!isCancelled(err)) throw err;
  }
}

/**
 * Follows our terminal's size: now and on every SIGWINCH. Returns the stop function.
 * One resize call at a time: two in flight could reach the daemon out of order (`stty rows 40
 * cols 120` signals twice) and leave the container at the older size; a signal during a call
 * sends the size as it is once that call is done.
 */
export function followTerminalSize(ctx: Context, resize: (size: TerminalSize) => Promise<void>): () => void {
  let busy = false;
  let again = false;
  const send = (): void => {
    if (busy) {
      again = true;
      return;
    }
    const size = terminalSize(ctx.io.stdout);
    if (!size) return;
    busy = true;
    void resize(size)
      .catch(() => undefined)
      .then(() => {
        busy = false;
        if (again) {
          again = false;
          send();
        }
      });
  };
  send();
  ctx.io.signals?.on('SIGWINCH', send);
  return () => ctx.io.signals?.off('SIGWINCH', send);
}

/**
 * An interactive session with a container's own process (`run -i/-t`,
 * `start -ai`, `attach`): attach first (stdin included), start once the
 * daemon says the attachment is in place, copy output until the container
 * exits or the detach keys are typed. Resolves with the container's exit
 * code; 0 after a detach (the container runs on).
 */
export async function interactiveSession(
  ctx: Context,
  containers: ContainerService,
  id: string,
  o: InteractiveOptions,
): Promise<number> {
  const keys = parseDetachKeys(o.detachKeys || DEFAULT_DETACH_KEYS);
  const input = o.stdin ? ctx.io.stdin : undefined;
  if (o.stdin && !input) throw failedPrecondition('stdin is not available');
  const ac = new AbortController();
  let detached = false;
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
  let onAttached!: () => void;
  const attached = new Promise<void>((resolve) => (onAttached = resolve));
  const condition = o.removed ? 'removed' : o.start ? 'next-exit' : 'not-running';
  const exited = containers.wait(id, { condition, signal: ac.signal });
  exited.catch(() => undefined);
  const piped = pumpChunks(
    ctx,
    containers.attachStdio(id, {
      ...(stdin ? { stdin } : {}),
      stdout: o.stdout ?? true,
      stderr: o.stderr ?? true,
      tty: o.tty,
      onAttached,
      signal: ac.signal,
    }),
  );
  piped.catch(() => undefined);
  const restore = o.tty && input ? makeRaw(input) : () => undefined;
  let unfollow: () => void = () => undefined;
  // Without a TTY, Ctrl-C reaches us, not the container: pass it on (docker's sig-proxy).
  const forward = (signal: NodeJS.Signals) => () => void containers.kill(id, signal).catch(() => undefined);
  const onInt = forward('SIGINT');
  const onTerm = forward('SIGTERM');
  try {
    try {
      await Promise.race([attached, piped]);
    } catch (err) {
      if (o.removed) await containers.remove(id, { force: true }).catch(() => undefined);
      throw err;
    }
    if (o.start) {
      try {
        await containers.start(id);
      } catch (err) {
        ac.abort();
        restore();
        await reportError(ctx, err);
        if (o.removed) await containers.remove(id, { force: true }).catch(() => undefined);
        return startFailureExitCode(err);
      }
    }
    if (o.tty) unfollow = followTerminalSize(ctx, (size) => containers.resize(id, size));
    if (!o.tty) {
      ctx.io.signals?.on('SIGINT', onInt);
      ctx.io.signals?.on('SIGTERM', onTerm);
    }
    await piped;
    if (detached) {
      restore();
      await write(ctx.io.stderr, '\r\nread escape sequence\r\n');
      return 0;
    }
    const status = await exited;
    if (status.error) await write(ctx.io.stderr, `Error: ${status.error}\n`);
    return status.exitCode;
  } finally {
    restore();
    unfollow();
    ctx.io.signals?.off('SIGINT', onInt);
    ctx.io.signals?.off('SIGTERM', onTerm);
    ac.abort();
  }
}

/** `tscr attach`. */
export const attachCommand: Command = {
  path: ['attach'],
  aliases: [['container', 'attach']],
  usage: '[OPTIONS] CONTAINER',
  summary: 'Attach local standard input, output, and error streams to a running container',
  flags: [
    { name: 'no-stdin', type: 'bool', description: 'Do not attach STDIN' },
    { name: 'detach-keys', type: 'string', description: 'Override the key sequence for detaching a container' },
    { name: 'sig-proxy', type: 'bool', description: 'Proxy all received signals to the process (default true)' },
  ],
  minArgs: 1,
  maxArgs: 1,
  async run(ctx, flags, args) {
    const containers = await ctx.clients.containers();
    const info = await containers.inspect(args[0]!);
    if (!info.state.running) throw failedPrecondition('You cannot attach to a stopped container, start it first');
    const detachKeys = str(flags, 'detach-keys');
    return interactiveSession(ctx, containers, info.id, {
      start: false,
      removed: false,
      tty: Boolean(info.config.tty),
      stdin: Boolean(info.config.openStdin) && !bool(flags, 'no-stdin'),
      ...(detachKeys !== undefined ? { detachKeys } : {}),
    });
  },
};
