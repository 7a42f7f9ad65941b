import { bool, list, usageError } from '../args.js';
import { write, type Command } from '../command.js';
import { humanSize } from '../format.js';

/** `untagged: REF` / `deleted: ID` lines, as docker prints what an image prune removed. */
export function deletedImageLines(deleted: readonly { untagged?: string; deleted?: string }[]): string[] {
  return deleted.flatMap((d) => [
    ...(d.untagged ? [`untagged: ${d.untagged}`] : []),
    ...(d.deleted ? [`deleted: ${d.deleted}`] : []),
  ]);
}

/** `tscr image prune`. */
export const imagePruneCommand: Command = {
  path: ['image', 'prune'],
  usage: '[OPTIONS]',
  summary: 'Remove unused images',
  flags: [
    { name: 'all', short: 'a', type: 'bool', description: 'Remove all unused images, not just dangling ones' },
    { name: 'filter', type: 'list', description: "Provide filter values (e.g. 'label=<key>=<value>')" },
    { name: 'force', short: 'f', type: 'bool', description: 'Do not prompt for confirmation' },
  ],
  maxArgs: 0,
  async run(ctx, flags) {
    if (!bool(flags, 'force')) {
      throw usageError('image prune asks for confirmation, which tscr cannot do yet: pass --force');
    }
    const r = await (await ctx.clients.images()).prune({ all: bool(flags, 'all'), filters: list(flags, 'filter') });
    const lines = deletedImageLines(r.deleted);
    const deleted = lines.length > 0 ? `Deleted Images:\n${lines.join('\n')}\n\n` : '';
    await write(ctx.io.stdout, `${deleted}Total reclaimed space: ${humanSize(r.spaceReclaimed)}\n`);
    return 0;
  },
};
