import { int, usageError, type FlagValues } from '../args.js';
import { forEachArg, write, type Command } from '../command.js';
import { stopTimeFlag } from './containers.js';
import { table } from '../format.js';
import { limitFlags, limitsFromFlags } from './resource-flags.js';

/** `tscr update`. */
export const updateCommand: Command = {
  path: ['update'],
  aliases: [['container', 'update']],
  usage: '[OPTIONS] CONTAINER [CONTAINER...]',
  summary: 'Update configuration of one or more containers',
  flags: limitFlags,
  minArgs: 1,
  async run(ctx, flags: FlagValues, args) {
    const resources = limitsFromFlags(flags);
    if (Object.keys(resources).length === 0)
      throw usageError('you must provide one or more flags when using this command');
    const containers = await ctx.clients.containers();
    return forEachArg(ctx, args, async (id) => {
      const { warnings } = await containers.update(id, resources);
      for (const w of warnings) await write(ctx.io.stderr, `WARNING: ${w}\n`);
      return id;
    });
  },
};

/** `tscr pause`. */
export const pauseCommand: Command = {
  path: ['pause'],
  aliases: [['container', 'pause']],
  usage: 'CONTAINER [CONTAINER...]',
  summary: 'Pause all processes within one or more containers',
  flags: [],
  minArgs: 1,
  async run(ctx, _flags, args) {
    const containers = await ctx.clients.containers();
    return forEachArg(ctx, args, async (id) => {
      await containers.pause(id);
      return id;
    });
  },
};

/** `tscr unpause`. */
export const unpauseCommand: Command = {
  path: ['unpause'],
  aliases: [['container', 'unpause']],
  usage: 'CONTAINER [CONTAINER...]',
  summary: 'Unpause all processes within one or more containers',
  flags: [],
  minArgs: 1,
  async run(ctx, _flags, args) {
    const containers = await ctx.clients.containers();
    return forEachArg(ctx, args, async (id) => {
      await containers.unpause(id);
      return id;
    });
  },
};

/** `tscr restart`. */
export const restartCommand: Command = {
  path: ['restart'],
  aliases: [['container', 'restart']],
  usage: '[OPTIONS] CONTAINER [CONTAINER...]',
  summary: 'Restart one or more containers',
  flags: [stopTimeFlag],
  minArgs: 1,
  async run(ctx, flags, args) {
    const containers = await ctx.clients.containers();
    const timeout = int(flags, 'time');
    return forEachArg(ctx, args, async (id) => {
      await containers.restart(id, timeout === undefined ? {} : { timeout });
      return id;
    });
  },
};

/** `tscr rename`. */
export const renameCommand: Command = {
  path: ['rename'],
  aliases: [['container', 'rename']],
  usage: 'CONTAINER NEW_NAME',
  summary: 'Rename a container',
  flags: [],
  minArgs: 2,
  maxArgs: 2,
  async run(ctx, _flags, args) {
    const containers = await ctx.clients.containers();
    await containers.rename(args[0]!, args[1]!);
    return 0;
  },
};

/** `tscr top`. */
export const topCommand: Command = {
  path: ['top'],
  aliases: [['container', 'top']],
  usage: 'CONTAINER [ps OPTIONS]',
  summary: 'Display the running processes of a container',
  flags: [],
  stopAtPositional: true,
  minArgs: 1,
  async run(ctx, _flags, args) {
    const containers = await ctx.clients.containers();
    const [id, ...psArgs] = args;
    const top = await containers.top(id!, { psArgs });
    await write(ctx.io.stdout, table(top.titles, top.processes));
    return 0;
  },
};
