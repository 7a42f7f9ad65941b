import { isCancelled, type ContainerSummary } from '@tscr/api';
import { bool, int, str, usageError, type FlagSpec } from '../args.js';
import { forEachArg, write, type Command, type Context } from '../command.js';
import { formatList, quotedCommand, shortId, table, timeAgo } from '../format.js';

/** `tscr start`. */
export const startCommand: Command = {
  path: ['start'],
  aliases: [['container', 'start']],
  usage: '[OPTIONS] CONTAINER [CONTAINER...]',
  summary: 'Start one or more stopped containers',
  flags: [
    { name: 'attach', short: 'a', type: 'bool', description: 'Attach STDOUT/STDERR and forward signals' },
    { name: 'interactive', short: 'i', type: 'bool', description: "Attach container's STDIN" },
    { name: 'detach-keys', type: 'string', description: 'Override the key sequence for detaching a container' },
  ],
  minArgs: 1,
  async run(ctx, flags, args) {
    const containers = await ctx.clients.containers();
    if (bool(flags, 'attach') || bool(flags, 'interactive')) {
      if (args.length > 1) throw usageError('you cannot start and attach multiple containers at once');
      const info = await containers.inspect(args[0]!);
      // Loaded here: `ps`, `rm`, `stop` (this module) need none of run's and attach's code.
      const [{ interactiveSession }, { attachStartWait }] = await Promise.all([
        import('./attach.js'),
        import('./run.js'),
      ]);
      if (info.config.tty || bool(flags, 'interactive')) {
        const detachKeys = str(flags, 'detach-keys');
        return interactiveSession(ctx, containers, info.id, {
          start: true,
          removed: false,
          tty: Boolean(info.config.tty),
          stdin: bool(flags, 'interactive') && Boolean(info.config.openStdin),
          ...(detachKeys ? { detachKeys } : {}),
        });
      }
      return attachStartWait(ctx, containers, args[0]!, { start: true, removed: false });
    }
    return forEachArg(ctx, args, async (id) => {
      await containers.start(id);
      return id;
    });
  },
};

/** `-t/--time`, the grace period of `stop` and `restart`. */
export const stopTimeFlag: FlagSpec = {
  name: 'time',
  short: 't',
  type: 'int',
  aliases: ['timeout'],
  valueName: 'int',
  description: 'Seconds to wait before killing the container',
};

/** `tscr stop`. */
export const stopCommand: Command = {
  path: ['stop'],
  aliases: [['container', 'stop']],
  usage: '[OPTIONS] CONTAINER [CONTAINER...]',
  summary: 'Stop one or more running containers',
  flags: [stopTimeFlag],
  minArgs: 1,
  async run(ctx, flags, args) {
    const containers = await ctx.clients.containers();
    const timeout = int(flags, 'time');
    return forEachArg(ctx, args, async (id) => {
      await containers.stop(id, timeout === undefined ? {} : { timeout });
      return id;
    });
  },
};

/** `tscr kill`. */
export const killCommand: Command = {
  path: ['kill'],
  aliases: [['container', 'kill']],
  usage: '[OPTIONS] CONTAINER [CONTAINER...]',
  summary: 'Kill one or more running containers',
  flags: [
    { name: 'signal', short: 's', type: 'string', description: 'Signal to send to the container (default KILL)' },
  ],
  minArgs: 1,
  async run(ctx, flags, args) {
    const containers = await ctx.clients.containers();
    return forEachArg(ctx, args, async (id) => {
      await containers.kill(id, str(flags, 'signal'));
      return id;
    });
  },
};

/** `tscr wait`. */
export const waitCommand: Command = {
  path: ['wait'],
  aliases: [['container', 'wait']],
  usage: 'CONTAINER [CONTAINER...]',
  summary: 'Block until one or more containers stop, then print their exit codes',
  flags: [],
  minArgs: 1,
  async run(ctx, _flags, args) {
    const containers = await ctx.clients.containers();
    return forEachArg(ctx, args, async (id) => String((await containers.wait(id)).exitCode));
  },
};

/** `tscr rm`. */
export const rmCommand: Command = {
  path: ['rm'],
  aliases: [
    ['container', 'rm'],
    ['container', 'remove'],
  ],
  usage: '[OPTIONS] CONTAINER [CONTAINER...]',
  summary: 'Remove one or more containers',
  flags: [
    { name: 'force', short: 'f', type: 'bool', description: 'Force the removal of a running container (uses SIGKILL)' },
    {
      name: 'volumes',
      short: 'v',
      type: 'bool',
      description: 'Remove anonymous volumes associated with the container',
    },
  ],
  minArgs: 1,
  async run(ctx, flags, args) {
    const containers = await ctx.clients.containers();
    return forEachArg(ctx, args, async (id) => {
      await containers.remove(id, { force: bool(flags, 'force'), volumes: bool(flags, 'volumes') });
      return id;
    });
  },
};

/** One `ps` row as docker's `--format json` spells it. */
function psJson(c: ContainerSummary, now: number): Record<string, string> {
  return {
    Command: JSON.stringify(c.command),
    CreatedAt: c.created,
    ID: shortId(c.id),
    Image: c.image,
    Labels: Object.entries(c.labels)
      .map(([k, v]) => `${k}=${v}`)
      .join(','),
    Names: c.names.map((n) => n.replace(/^\//, '')).join(','),
    Ports: '',
    RunningFor: timeAgo(c.created, now),
    State: c.state,
    Status: c.status,
  };
}

/** `tscr ps`. */
export const psCommand: Command = {
  path: ['ps'],
  aliases: [
    ['container', 'ls'],
    ['container', 'list'],
    ['container', 'ps'],
  ],
  usage: '[OPTIONS]',
  summary: 'List containers',
  flags: [
    { name: 'all', short: 'a', type: 'bool', description: 'Show all containers (default shows just running)' },
    { name: 'quiet', short: 'q', type: 'bool', description: 'Only display container IDs' },
    { name: 'no-trunc', type: 'bool', description: "Don't truncate output" },
    { name: 'format', type: 'string', description: "Format output: 'table', 'json' or a Go template ({{.ID}})" },
  ],
  maxArgs: 0,
  async run(ctx, flags) {
    const list = await (await ctx.clients.containers()).list({ all: bool(flags, 'all') });
    const noTrunc = bool(flags, 'no-trunc');
    const now = ctx.now();
    const format = str(flags, 'format') ?? 'table';
    let out: string;
    if (bool(flags, 'quiet')) {
      out = list.map((c) => `${noTrunc ? c.id : shortId(c.id)}\n`).join('');
    } else {
      out = formatList(
        format,
        list,
        (c) => ({ ...psJson(c, now), ...(noTrunc && { ID: c.id }) }),
        () =>
          table(
            ['CONTAINER ID', 'IMAGE', 'COMMAND', 'CREATED', 'STATUS', 'PORTS', 'NAMES'],
            list.map((c) => [
              noTrunc ? c.id : shortId(c.id),
              c.image,
              quotedCommand(c.command, 20, !noTrunc),
              timeAgo(c.created, now),
              c.status,
              '',
              c.names.map((n) => n.replace(/^\//, '')).join(','),
            ]),
          ),
      );
    }
    await write(ctx.io.stdout, out);
    return 0;
  },
};

/** Streams until done, or until SIGINT/SIGTERM ends it quietly (for `logs -f`, `events`). */
export async function untilInterrupted(ctx: Context, fn: (signal: AbortSignal) => Promise<void>): Promise<number> {
  const ac = new AbortController();
  const stop = () => ac.abort();
  ctx.io.signals?.on('SIGINT', stop);
  ctx.io.signals?.on('SIGTERM', stop);
  try {
    await fn(ac.signal);
  } catch (err) {
    if (!(ac.signal.aborted && isCancelled(err))) throw err;
  } finally {
    ctx.io.signals?.off('SIGINT', stop);
    ctx.io.signals?.off('SIGTERM', stop);
  }
  return 0;
}
