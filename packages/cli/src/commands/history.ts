import type { HistoryEntry } from '@tscr/image';
import { bool, str } from '../args.js';
import { write, type Command } from '../command.js';
import { formatList, humanSize, shortId, table, timeAgo } from '../format.js';

/** `docker history` cuts CREATED BY to 45 characters. */
const CREATED_BY_WIDTH = 45;

function cut(text: string, width: number): string {
  const chars = [...text];
  return chars.length > width ? `${chars.slice(0, width - 1).join('')}…` : text;
}

/** `tscr history`. */
export const historyCommand: Command = {
  path: ['history'],
  aliases: [['image', 'history']],
  usage: '[OPTIONS] IMAGE',
  summary: 'Show the history of an image',
  flags: [
    { name: 'no-trunc', type: 'bool', description: "Don't truncate output" },
    { name: 'quiet', short: 'q', type: 'bool', description: 'Only show image IDs' },
    {
      name: 'human',
      short: 'H',
      type: 'bool',
      description: 'Print sizes and dates in human readable format (default true)',
    },
    { name: 'format', type: 'string', description: "Format output: 'table', 'json' or a Go template ({{.ID}})" },
  ],
  minArgs: 1,
  maxArgs: 1,
  async run(ctx, flags, args) {
    const steps = await (await ctx.clients.images()).history(args[0] as string);
    const noTrunc = bool(flags, 'no-trunc');
    const human = flags.human !== false;
    const now = ctx.now();
    const id = (h: HistoryEntry) => (noTrunc || h.id === '<missing>' ? h.id : shortId(h.id));
    const created = (h: HistoryEntry) => (h.created === '' ? 'N/A' : human ? timeAgo(h.created, now) : h.created);
    const createdBy = (h: HistoryEntry) => (noTrunc ? h.createdBy : cut(h.createdBy, CREATED_BY_WIDTH));
    const size = (h: HistoryEntry) => (human ? humanSize(h.size) : String(h.size));
    const format = str(flags, 'format') ?? 'table';
    let out: string;
    if (bool(flags, 'quiet')) {
      out = steps.map((h) => `${id(h)}\n`).join('');
    } else {
      out = formatList(
        format,
        steps,
        (h) => ({
          ID: id(h),
          CreatedAt: h.created,
          CreatedSince: created(h),
          CreatedBy: createdBy(h),
          Size: size(h),
          Comment: h.comment,
          Tags: h.tags,
        }),
        () =>
          table(
            ['IMAGE', 'CREATED', 'CREATED BY', 'SIZE', 'COMMENT'],
            steps.map((h) => [id(h), created(h), createdBy(h), size(h), h.comment]),
          ),
      );
    }
    await write(ctx.io.stdout, out);
    return 0;
  },
};
