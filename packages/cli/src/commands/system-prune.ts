import {
  createdBefore,
  invalidArgument,
  isFailedPrecondition,
  labelsMatch,
  parsePruneFilters,
  type PruneFilter,
} from '@tscr/api';
import { bool, list, usageError } from '../args.js';
import { write, type Command, type Context } from '../command.js';
import { humanSize } from '../format.js';
import { deletedImageLines } from './prune.js';

/** States of a container that `prune` removes: every one that is not running. */
const STOPPED = new Set(['created', 'exited', 'dead']);

/** What `system prune` is about to remove, as docker's warning lists it. */
export function pruneWarning(all: boolean, volumes: boolean): string {
  return [
    'WARNING! This will remove:',
    '  - all stopped containers',
    '  - all networks not used by at least one container',
    ...(volumes ? ['  - all anonymous volumes not used by at least one container'] : []),
    all ? '  - all images without at least one container associated to them' : '  - all dangling images',
    '',
  ].join('\n');
}

/** Label filters as the volume layer takes them (`key` / `key=value`); it knows no negation or age. */
export function volumeLabels(filters: readonly PruneFilter[]): string[] {
  return filters.map((f) => {
    if (f.kind === 'until') throw invalidArgument('The "until" filter is not supported with "--volumes"');
    if (f.negate) throw invalidArgument('The "label!" filter is not supported with "--volumes"');
    return f.value === undefined ? f.key : `${f.key}=${f.value}`;
  });
}

/** Reads one line from stdin (the confirmation); empty when stdin ends first. */
async function readLine(stdin: NodeJS.ReadableStream): Promise<string> {
  let text = '';
  for await (const chunk of stdin) {
    text += chunk.toString();
    const nl = text.indexOf('\n');
    if (nl >= 0) return text.slice(0, nl);
  }
  return text;
}

async function confirm(ctx: Context, warning: string): Promise<boolean> {
  if (!ctx.io.stdin) throw usageError('system prune asks for confirmation and stdin cannot be read: pass --force');
  await write(ctx.io.stdout, `${warning}\nAre you sure you want to continue? [y/N] `);
  return /^\s*y(es)?\s*$/i.test(await readLine(ctx.io.stdin));
}

async function pruneContainers(ctx: Context, filters: PruneFilter[]): Promise<string[]> {
  const containers = await ctx.clients.containers();
  const removed: string[] = [];
  for (const c of await containers.list({ all: true })) {
    if (!STOPPED.has(c.state) || !labelsMatch(filters, c.labels) || !createdBefore(filters, c.created)) continue;
    try {
      await containers.remove(c.id);
      removed.push(c.id);
    } catch (err) {
      if (!isFailedPrecondition(err)) throw err; // started meanwhile
    }
  }
  return removed;
}

async function pruneNetworks(ctx: Context, filters: PruneFilter[], raw: string[]): Promise<string[]> {
  const networks = await ctx.clients.networks();
  if (raw.length === 0) return networks.prune();
  const removed: string[] = [];
  for (const n of await networks.list()) {
    if (n.builtin || !labelsMatch(filters, n.labels) || !createdBefore(filters, n.created)) continue;
    try {
      await networks.remove(n.name);
      removed.push(n.name);
    } catch (err) {
      if (!isFailedPrecondition(err)) throw err; // in use
    }
  }
  return removed;
}

/** `tscr system prune`: stopped containers, unused networks, dangling (or unused) images, and volumes. */
export const systemPruneCommand: Command = {
  path: ['system', 'prune'],
  usage: '[OPTIONS]',
  summary: 'Remove unused data',
  flags: [
    { name: 'all', short: 'a', type: 'bool', description: 'Remove all unused images not just dangling ones' },
    { name: 'filter', type: 'list', description: "Provide filter values (e.g. 'label=<key>=<value>', 'until=24h')" },
    { name: 'force', short: 'f', type: 'bool', description: 'Do not prompt for confirmation' },
    { name: 'volumes', type: 'bool', description: 'Prune anonymous volumes' },
  ],
  maxArgs: 0,
  async run(ctx, flags) {
    const all = bool(flags, 'all');
    const withVolumes = bool(flags, 'volumes');
    const raw = list(flags, 'filter');
    const filters = parsePruneFilters(raw);
    const labels = withVolumes ? volumeLabels(filters) : [];
    if (!bool(flags, 'force') && !(await confirm(ctx, pruneWarning(all, withVolumes)))) return 0;

    let reclaimed = 0;
    const sections: string[] = [];
    const section = (title: string, lines: string[]) => {
      if (lines.length > 0) sections.push(`${title}:\n${lines.join('\n')}\n\n`);
    };
    section('Deleted Containers', await pruneContainers(ctx, filters));
    section('Deleted Networks', await pruneNetworks(ctx, filters, raw));
    if (withVolumes) {
      const r = await (await ctx.clients.volumes()).prune({ all: false, label: labels });
      reclaimed += r.spaceReclaimed;
      section('Deleted Volumes', r.volumesDeleted);
    }
    const images = await (await ctx.clients.images()).prune({ all, filters: raw });
    reclaimed += images.spaceReclaimed;
    section('Deleted Images', deletedImageLines(images.deleted));
    await write(ctx.io.stdout, `${sections.join('')}Total reclaimed space: ${humanSize(reclaimed)}\n`);
    return 0;
  },
};
