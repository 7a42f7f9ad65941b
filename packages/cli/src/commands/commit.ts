import { list, str } from '../args.js';
import { write, type Command } from '../command.js';
import { applyChanges } from './import-changes.js';

/** `tscr commit`: prints the new image's ID. */
export const commitCommand: Command = {
  path: ['commit'],
  aliases: [['container', 'commit']],
  usage: '[OPTIONS] CONTAINER [REPOSITORY[:TAG]]',
  summary: "Create a new image from a container's changes",
  flags: [
    {
      name: 'author',
      short: 'a',
      type: 'string',
      description: 'Author (e.g., "John Hannibal Smith <hannibal@a-team.com>")',
    },
    { name: 'change', short: 'c', type: 'list', description: 'Apply Dockerfile instruction to the created image' },
    { name: 'message', short: 'm', type: 'string', description: 'Commit message' },
    { name: 'pause', short: 'p', type: 'bool', description: 'Pause container during commit (default true)' },
  ],
  minArgs: 1,
  maxArgs: 2,
  async run(ctx, flags, args) {
    const [container, reference] = args as [string, string | undefined];
    const changes = list(flags, 'change');
    const comment = str(flags, 'message');
    const author = str(flags, 'author');
    const image = await (await ctx.clients.containers()).commit(container, {
      pause: flags.pause !== false,
      ...(changes.length > 0 && { changes: applyChanges(changes) }),
      ...(reference !== undefined && { reference }),
      ...(comment !== undefined && { comment }),
      ...(author !== undefined && { author }),
    });
    await write(ctx.io.stdout, `${image.id}\n`);
    return 0;
  },
};
