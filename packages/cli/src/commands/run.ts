import { failedPrecondition, isCancelled, isNotFound } from '@tscr/api';
import type { ContainerService, CreateContainerRequest } from '@tscr/container';
import { bool, list, str, usageError, type FlagValues } from '../args.js';
import { reportError, write, type Command, type Context } from '../command.js';
import { ExitCodes, startFailureExitCode } from '../errors.js';
import { buildCreateRequest, containerFlags } from './container-flags.js';
import { volumesFrom } from './volumes-from.js';
import { interactiveSession } from './attach.js';
import { parseDetachKeys } from './tty.js';
import { pullWithProgress } from './registry.js';
import { familiarName } from '../format.js';
import { parseBind } from '@tscr/volume';
import { mark } from '../startup-trace.js';

/** Options of {@link attachStartWait}. */
interface AttachRun {
  /** Start the container after attaching (false when it already runs). */
  start: boolean;
  /** Wait until the daemon has removed it (`--rm`), so its name is free on return. */
  removed: boolean;
}

/** Pipes `attach` output to our stdout/stderr byte for byte until the stream ends. */
async function pump(ctx: Context, output: AsyncIterable<{ stream: string; data: Uint8Array }>): Promise<void> {
  try {
    for await (const entry of output) {
      await write(entry.stream === 'stderr' ? ctx.io.stderr : ctx.io.stdout, entry.data);
    }
  } catch (err) {
    if (!isCancelled(err)) throw err;
  }
}

/**
 * Docker's foreground sequence: wait and attach first, start once the
 * attachment is acknowledged (so no output and no exit is missed), and
 * forward SIGINT/SIGTERM to the container while it runs. Resolves with the
 * container's exit code, or 125/126/127 when it could not start.
 */
export async function attachStartWait(ctx: Context, containers: ContainerService, id: string, o: AttachRun) {
  const ac = new AbortController();
  let onAttached!: () => void;
  const attached = new Promise<void>((resolve) => (onAttached = resolve));
  // Wait is issued before start, and start only once the daemon says the attachment is in place.
  const exited = containers.wait(id, { condition: o.removed ? 'removed' : 'next-exit', signal: ac.signal });
  const piped = pump(ctx, containers.attach(id, { stdout: true, stderr: true, signal: ac.signal, onAttached }));
  exited.catch(() => undefined);
  piped.catch(() => undefined);
  try {
    // An attach that fails (unknown container…) fails the run; one that ends unacknowledged must not hang it.
    await Promise.race([attached, piped]);
    mark('attached');
  } catch (err) {
    ac.abort();
    if (o.removed) await containers.remove(id, { force: true }).catch(() => undefined);
    throw err;
  }
  const forward = (signal: NodeJS.Signals) => {
    containers.kill(id, signal).catch(() => undefined);
  };
  // The third Ctrl-C gives up waiting (a PID 1 without a handler ignores SIGINT); the container runs on.
  let interrupts = 0;
  let giveUp!: () => void;
  const gaveUp = new Promise<undefined>((resolve) => (giveUp = () => resolve(undefined)));
  const onInt = () => {
    interrupts += 1;
    if (interrupts >= 3) giveUp();
    else forward('SIGINT');
  };
  const onTerm = () => forward('SIGTERM');
  ctx.io.signals?.on('SIGINT', onInt);
  ctx.io.signals?.on('SIGTERM', onTerm);
  try {
    if (o.start) {
      try {
        await containers.start(id);
        mark('started');
      } catch (err) {
        ac.abort();
        await reportError(ctx, err);
        if (o.removed) await containers.remove(id, { force: true }).catch(() => undefined);
        return startFailureExitCode(err);
      }
    }
    const status = await Promise.race([exited, gaveUp]);
    mark(o.removed ? 'exited and removed' : 'exited');
    if (status === undefined) {
      await write(ctx.io.stderr, `tscr: stopped waiting; container ${id.slice(0, 12)} keeps running\n`);
      return 128 + 2;
    }
    await piped;
    if (status.error) await write(ctx.io.stderr, `Error: ${status.error}\n`);
    return status.exitCode;
  } finally {
    ctx.io.signals?.off('SIGINT', onInt);
    ctx.io.signals?.off('SIGTERM', onTerm);
    ac.abort();
  }
}

const PULL_POLICIES = ['always', 'missing', 'never'] as const;
type PullPolicy = (typeof PULL_POLICIES)[number];

/**
 * `--pull`: `always` pulls before creating; `missing` (the default) creates
 * and, when the daemon has no such image, says so on stderr like docker,
 * pulls and creates again (no extra round trip when the image is there);
 * `never` leaves the NotFound of create as it is.
 */
function pullPolicy(flags: FlagValues): PullPolicy {
  const policy = str(flags, 'pull') ?? 'missing';
  if (!(PULL_POLICIES as readonly string[]).includes(policy)) {
    throw usageError(`invalid pull option: '${policy}': must be one of "always", "missing" or "never"`);
  }
  return policy as PullPolicy;
}

/** Pulls `image` with progress on stderr. */
async function pull(ctx: Context, flags: FlagValues, image: string): Promise<void> {
  const platform = str(flags, 'platform');
  await pullWithProgress(ctx, image, { out: ctx.io.stderr, quiet: false, ...(platform !== undefined && { platform }) });
}

/** Create's NotFound for its image (the daemon names it in `details.image`), not for another part. */
function isMissingImage(err: unknown, image: string): boolean {
  return isNotFound(err) && (err as { details?: Record<string, unknown> }).details?.image === image;
}

/** Creates the container, pulling its image first or on a miss as `--pull` says. */
async function createPulling(
  ctx: Context,
  containers: ContainerService,
  req: CreateContainerRequest,
  flags: FlagValues,
) {
  const policy = pullPolicy(flags);
  const image = req.config.image;
  if (policy === 'always') await pull(ctx, flags, image);
  try {
    return await containers.create(req);
  } catch (err) {
    if (policy !== 'missing' || !isMissingImage(err, image)) throw err;
  }
  const shown = familiarName(image);
  const tagged = /[:@][^/]*$/.test(shown) ? shown : `${shown}:latest`;
  await write(ctx.io.stderr, `Unable to find image '${tagged}' locally\n`);
  await pull(ctx, flags, image);
  return containers.create(req);
}

/** `-a` values (stdin, stdout, stderr), checked. */
function attachStreams(flags: FlagValues): Set<string> {
  const streams = new Set(list(flags, 'attach').map((s) => s.toLowerCase()));
  for (const s of streams) {
    if (!['stdin', 'stdout', 'stderr'].includes(s)) throw usageError(`invalid argument "${s}" for "-a, --attach"`);
  }
  return streams;
}

/** `foreground`: `run` without `-d`, whose `-i` closes the container's stdin when ours ends. */
async function createFrom(ctx: Context, flags: FlagValues, args: string[], foreground = false): Promise<string> {
  const req = await buildCreateRequest(flags, args, ctx.io.env);
  // `run -i` in the foreground: the container's stdin closes when ours ends (docker's StdinOnce).
  if (req.config.openStdin && foreground) req.config.stdinOnce = true;
  pullPolicy(flags); // a bad --pull fails before anything is made
  const containers = await ctx.clients.containers();
  const from = await volumesFrom(containers, list(flags, 'volumes-from'));
  if (from.length > 0) {
    // The container's own mounts win over inherited ones at the same target.
    const mine = [...(req.hostConfig?.mounts ?? [])];
    const taken = new Set([
      ...(req.hostConfig?.binds ?? []).map((b) => parseBind(b).target),
      ...mine.map((m) => m.target),
    ]);
    const inherited = from.filter((m) => !taken.has(m.target));
    req.hostConfig = { ...req.hostConfig, mounts: [...mine, ...inherited] };
  }
  const { id, warnings } = await createPulling(ctx, containers, req, flags);
  mark('created');
  for (const w of warnings) await write(ctx.io.stderr, `WARNING: ${w}\n`);
  return id;
}

/** `tscr run`. */
export const runCommand: Command = {
  path: ['run'],
  aliases: [['container', 'run']],
  usage: '[OPTIONS] IMAGE [COMMAND] [ARG...]',
  summary: 'Create and run a new container from an image',
  flags: [
    { name: 'detach', short: 'd', type: 'bool', description: 'Run container in background and print container ID' },
    ...containerFlags,
  ],
  stopAtPositional: true,
  minArgs: 1,
  errorExitCode: ExitCodes.daemonError,
  async run(ctx, flags, args) {
    const streams = attachStreams(flags);
    if (bool(flags, 'detach') && streams.size > 0) throw usageError('conflicting options: -a and -d');
    const detachKeys = str(flags, 'detach-keys');
    if (detachKeys) parseDetachKeys(detachKeys);
    const wantsStdin = bool(flags, 'interactive') || streams.has('stdin');
    if (wantsStdin && !bool(flags, 'detach') && !ctx.io.stdin) throw failedPrecondition('stdin is not available');
    const id = await createFrom(ctx, flags, args, !bool(flags, 'detach'));
    const containers = await ctx.clients.containers();
    const tty = bool(flags, 'tty');
    const stdin = wantsStdin;
    if (!bool(flags, 'detach') && (tty || stdin || streams.size > 0)) {
      return interactiveSession(ctx, containers, id, {
        start: true,
        removed: bool(flags, 'rm'),
        tty,
        stdin,
        stdout: streams.size === 0 || streams.has('stdout'),
        stderr: streams.size === 0 || streams.has('stderr'),
        ...(detachKeys ? { detachKeys } : {}),
      });
    }
    if (!bool(flags, 'detach'))
      return attachStartWait(ctx, containers, id, { start: true, removed: bool(flags, 'rm') });
    try {
      await containers.start(id);
    } catch (err) {
      await reportError(ctx, err);
      if (bool(flags, 'rm')) await containers.remove(id, { force: true }).catch(() => undefined);
      return startFailureExitCode(err);
    }
    await write(ctx.io.stdout, `${id}\n`);
    return 0;
  },
};

/** `tscr create`. */
export const createCommand: Command = {
  path: ['create'],
  aliases: [['container', 'create']],
  usage: '[OPTIONS] IMAGE [COMMAND] [ARG...]',
  summary: 'Create a new container',
  flags: containerFlags,
  stopAtPositional: true,
  minArgs: 1,
  errorExitCode: ExitCodes.daemonError,
  async run(ctx, flags, args) {
    await write(ctx.io.stdout, `${await createFrom(ctx, flags, args)}\n`);
    return 0;
  },
};
