import type { TscrEvent } from '@tscr/api';
import { list, str, usageError } from '../args.js';
import { write, type Command } from '../command.js';
import { renderTemplate } from '../format.js';
import { untilInterrupted } from './containers.js';

/** Unix nanoseconds (decimal string) as RFC 3339 with 9 fraction digits, UTC. */
export function eventTime(timeNano: string): string {
  const ns = BigInt(timeNano || '0');
  const ms = Number(ns / 1_000_000n);
  const frac = (ns % 1_000_000_000n).toString().padStart(9, '0');
  return `${new Date(ms).toISOString().slice(0, 19)}.${frac}Z`;
}

/** One event line as `docker events` prints it: `TIME TYPE ACTION ID (k=v, …)`. */
export function eventLine(e: TscrEvent): string {
  const attrs = Object.entries(e.attributes)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');
  return `${eventTime(e.timeNano)} ${e.type} ${e.action} ${e.id}${attrs ? ` (${attrs})` : ''}`;
}

function eventJson(e: TscrEvent) {
  return {
    Type: e.type,
    Action: e.action,
    Actor: { ID: e.id, Attributes: e.attributes },
    ID: e.id,
    Status: e.action,
    From: e.attributes.image ?? '',
    scope: 'local',
    time: Number(BigInt(e.timeNano || '0') / 1_000_000_000n),
    timeNano: Number(e.timeNano || '0'),
  };
}

const FILTER_KEYS = ['type', 'event', 'container', 'image', 'label', 'volume', 'network'];

/** `tscr events`. */
export const eventsCommand: Command = {
  path: ['events'],
  aliases: [['system', 'events']],
  usage: '[OPTIONS]',
  summary: 'Get real time events from the server',
  flags: [
    {
      name: 'filter',
      type: 'list',
      description: 'Filter output (type=, event=, container=, image=, label=, volume=, network=)',
    },
    { name: 'format', short: 'f', type: 'string', description: "Format output: 'json' or a Go template" },
    {
      name: 'since',
      type: 'string',
      description: 'Show events since timestamp (RFC 3339, Unix seconds or a duration)',
    },
    { name: 'until', type: 'string', description: 'Stream events until this timestamp' },
  ],
  maxArgs: 0,
  async run(ctx, flags) {
    const filters: Record<string, string[]> = {};
    for (const f of list(flags, 'filter')) {
      const eq = f.indexOf('=');
      const key = f.slice(0, eq);
      if (eq < 0 || !FILTER_KEYS.includes(key)) throw usageError(`invalid filter '${f}'`);
      filters[key] = [...(filters[key] ?? []), f.slice(eq + 1)];
    }
    const format = str(flags, 'format');
    const since = str(flags, 'since');
    const until = str(flags, 'until');
    const system = await ctx.clients.system();
    return untilInterrupted(ctx, async (signal) => {
      const stream = system.events({
        filters,
        ...(filters.type && { types: filters.type }),
        ...(since !== undefined && { since }),
        ...(until !== undefined && { until }),
        signal,
      });
      for await (const e of stream) {
        const line =
          format === undefined
            ? eventLine(e)
            : format === 'json' || format === '{{json .}}'
              ? JSON.stringify(eventJson(e))
              : renderTemplate(format, eventJson(e));
        await write(ctx.io.stdout, `${line}\n`);
      }
    });
  },
};
