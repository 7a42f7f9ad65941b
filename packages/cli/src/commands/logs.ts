import type { LogEntry } from '@tscr/api';
import { bool, str, usageError } from '../args.js';
import { write, type Command } from '../command.js';
import { untilInterrupted } from './containers.js';

/** Prefixes every line of `data` with `time ` (for `logs -t`); `atLineStart` carries across entries. */
function timestamped(entry: LogEntry, atLineStart: boolean): Uint8Array {
  const text = Buffer.from(entry.data).toString('latin1');
  const parts = text.split('\n');
  const out = parts
    .map((p, k) => ((k === 0 && !atLineStart) || (k === parts.length - 1 && p === '') ? p : `${entry.time} ${p}`))
    .join('\n');
  return Buffer.from(out, 'latin1');
}

/** `tscr logs`. */
export const logsCommand: Command = {
  path: ['logs'],
  aliases: [['container', 'logs']],
  usage: '[OPTIONS] CONTAINER',
  summary: 'Fetch the logs of a container',
  flags: [
    { name: 'follow', short: 'f', type: 'bool', description: 'Follow log output' },
    {
      name: 'tail',
      short: 'n',
      type: 'string',
      description: 'Number of lines to show from the end of the logs (default "all")',
    },
    { name: 'since', type: 'string', description: 'Show logs since timestamp (RFC 3339 or Unix seconds)' },
    { name: 'until', type: 'string', description: 'Show logs before a timestamp (RFC 3339 or Unix seconds)' },
    { name: 'timestamps', short: 't', type: 'bool', description: 'Show timestamps' },
    {
      name: 'details',
      type: 'bool',
      description: 'Show extra details provided to logs (none: the k8s-file driver records no log attributes)',
    },
  ],
  minArgs: 1,
  maxArgs: 1,
  async run(ctx, flags, args) {
    const containers = await ctx.clients.containers();
    const tailFlag = str(flags, 'tail') ?? 'all';
    if (tailFlag !== 'all' && !/^-?\d+$/.test(tailFlag)) throw usageError(`invalid value for --tail: ${tailFlag}`);
    const tail = tailFlag === 'all' ? undefined : Number.parseInt(tailFlag, 10);
    const stamps = bool(flags, 'timestamps');
    const since = str(flags, 'since');
    const until = str(flags, 'until');
    const lineStart = { stdout: true, stderr: true };
    return untilInterrupted(ctx, async (signal) => {
      const entries = containers.logs(args[0]!, {
        follow: bool(flags, 'follow'),
        ...(tail !== undefined && tail >= 0 && { tail }),
        ...(since !== undefined && { since }),
        ...(until !== undefined && { until }),
        signal,
      });
      for await (const e of entries) {
        const data = stamps ? timestamped(e, lineStart[e.stream]) : e.data;
        if (e.data.length > 0) lineStart[e.stream] = e.data[e.data.length - 1] === 0x0a;
        await write(e.stream === 'stderr' ? ctx.io.stderr : ctx.io.stdout, data);
      }
    });
  },
};
