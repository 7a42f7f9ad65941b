import { invalidArgument } from '@tscr/api';
import { volumeJson } from '@tscr/docker-api/json';
import type { VolumeFilters } from '@tscr/volume';
import { bool, list, str, usageError } from '../args.js';
import { forEachArg, write, type Command } from '../command.js';
import { printInspected } from './inspect-print.js';
import { formatList, humanSize, table } from '../format.js';

function keyValues(entries: string[], flag: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of entries) {
    const eq = e.indexOf('=');
    if (flag === '--opt' && eq <= 0) throw usageError(`invalid ${flag} ${JSON.stringify(e)}: want key=value`);
    out[eq < 0 ? e : e.slice(0, eq)] = eq < 0 ? '' : e.slice(eq + 1);
  }
  return out;
}

/** Docker's `--filter` for volumes: dangling, label, name, driver. */
export function parseVolumeFilters(entries: string[]): VolumeFilters {
  const f: VolumeFilters = {};
  for (const e of entries) {
    const eq = e.indexOf('=');
    const key = eq < 0 ? e : e.slice(0, eq);
    const value = eq < 0 ? '' : e.slice(eq + 1);
    switch (key) {
      case 'dangling':
        if (!['true', 'false', '1', '0'].includes(value)) throw usageError(`invalid filter 'dangling=${value}'`);
        f.dangling = value === 'true' || value === '1';
        break;
      case 'label':
      case 'name':
      case 'driver':
        if (value === '') throw usageError(`invalid filter '${e}'`);
        f[key] = [...(f[key] ?? []), value];
        break;
      default:
        throw usageError(`invalid filter '${key}'`);
    }
  }
  return f;
}

/** `tscr volume create`. */
export const volumeCreateCommand: Command = {
  path: ['volume', 'create'],
  usage: '[OPTIONS] [VOLUME]',
  summary: 'Create a volume',
  flags: [
    { name: 'driver', short: 'd', type: 'string', description: 'Specify volume driver name (default "local")' },
    { name: 'label', type: 'list', description: 'Set metadata for a volume' },
    { name: 'opt', short: 'o', type: 'list', description: 'Set driver specific options' },
    { name: 'name', type: 'string', description: 'Specify volume name' },
  ],
  maxArgs: 1,
  async run(ctx, flags, args) {
    const named = str(flags, 'name');
    if (named !== undefined && args[0] !== undefined && named !== args[0]) {
      throw usageError(`conflicting options: either specify --name or provide positional arg, not both`);
    }
    const name = args[0] ?? named ?? randomVolumeName();
    const driver = str(flags, 'driver');
    const v = await (await ctx.clients.volumes()).create(name, {
      ...(driver !== undefined && { driver }),
      labels: keyValues(list(flags, 'label'), '--label'),
      options: keyValues(list(flags, 'opt'), '--opt'),
    });
    await write(ctx.io.stdout, `${v.name}\n`);
    return 0;
  },
};

function randomVolumeName(): string {
  const bytes = new Uint8Array(32);
  crypto.getRandomValues(bytes);
  return Buffer.from(bytes).toString('hex');
}

/** `tscr volume ls`. */
export const volumeLsCommand: Command = {
  path: ['volume', 'ls'],
  aliases: [['volume', 'list']],
  usage: '[OPTIONS]',
  summary: 'List volumes',
  flags: [
    { name: 'quiet', short: 'q', type: 'bool', description: 'Only display volume names' },
    { name: 'filter', short: 'f', type: 'list', description: "Provide filter values (e.g. 'dangling=true')" },
    { name: 'format', type: 'string', description: "Format output: 'table', 'json' or a Go template ({{.Name}})" },
  ],
  maxArgs: 0,
  async run(ctx, flags) {
    const vols = await (await ctx.clients.volumes()).list({ filters: parseVolumeFilters(list(flags, 'filter')) });
    const format = str(flags, 'format') ?? 'table';
    let out: string;
    if (bool(flags, 'quiet')) out = vols.map((v) => `${v.name}\n`).join('');
    else {
      out = formatList(
        format,
        vols,
        (v) => ({
          Driver: v.driver,
          Labels: Object.entries(v.labels)
            .map(([k, val]) => `${k}=${val}`)
            .join(','),
          Mountpoint: v.mountpoint,
          Name: v.name,
          Scope: v.scope || 'local',
        }),
        () =>
          table(
            ['DRIVER', 'VOLUME NAME'],
            vols.map((v) => [v.driver, v.name]),
          ),
      );
    }
    await write(ctx.io.stdout, out);
    return 0;
  },
};

/** `tscr volume inspect`. */
export const volumeInspectCommand: Command = {
  path: ['volume', 'inspect'],
  usage: '[OPTIONS] VOLUME [VOLUME...]',
  summary: 'Display detailed information on one or more volumes',
  flags: [{ name: 'format', short: 'f', type: 'string', description: 'Format output using a Go template' }],
  minArgs: 1,
  async run(ctx, flags, args) {
    const volumes = await ctx.clients.volumes();
    return printInspected(ctx, flags, args, async (name) => volumeJson(await volumes.get(name)));
  },
};

/** `tscr volume rm`. */
export const volumeRmCommand: Command = {
  path: ['volume', 'rm'],
  aliases: [['volume', 'remove']],
  usage: '[OPTIONS] VOLUME [VOLUME...]',
  summary: 'Remove one or more volumes',
  flags: [{ name: 'force', short: 'f', type: 'bool', description: 'Force the removal of one or more volumes' }],
  minArgs: 1,
  async run(ctx, flags, args) {
    const volumes = await ctx.clients.volumes();
    return forEachArg(ctx, args, async (name) => {
      await volumes.remove(name, { force: bool(flags, 'force') });
      return name;
    });
  },
};

/** `tscr volume prune`. */
export const volumePruneCommand: Command = {
  path: ['volume', 'prune'],
  usage: '[OPTIONS]',
  summary: 'Remove unused local volumes',
  flags: [
    { name: 'all', short: 'a', type: 'bool', description: 'Remove all unused volumes, not just anonymous ones' },
    { name: 'filter', type: 'list', description: "Provide filter values (e.g. 'label=<label>')" },
    { name: 'force', short: 'f', type: 'bool', description: 'Do not prompt for confirmation' },
  ],
  maxArgs: 0,
  async run(ctx, flags) {
    const filters = parseVolumeFilters(list(flags, 'filter'));
    if (filters.dangling !== undefined || filters.name || filters.driver) {
      throw invalidArgument('volume prune takes only label filters');
    }
    if (!bool(flags, 'force'))
      throw usageError('volume prune asks for confirmation, which tscr cannot do yet: pass --force');
    const r = await (await ctx.clients.volumes()).prune({ all: bool(flags, 'all'), label: filters.label ?? [] });
    const deleted = r.volumesDeleted.length > 0 ? `Deleted Volumes:\n${r.volumesDeleted.join('\n')}\n\n` : '';
    await write(ctx.io.stdout, `${deleted}Total reclaimed space: ${humanSize(r.spaceReclaimed)}\n`);
    return 0;
  },
};
