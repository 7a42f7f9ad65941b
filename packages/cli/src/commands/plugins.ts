/** `tscr plugin ls` / `tscr plugin inspect`: the Docker plugins the daemon finds, and whether they answer. */
import { unimplemented } from '@tscr/api';
import { pluginCapability, pluginJson } from '@tscr/docker-api/json';
import type { PluginInfo, PluginInspector } from '@tscr/plugins';
import { bool, list, str, usageError } from '../args.js';
import { type Context, type Command, write } from '../command.js';
import { formatList, table } from '../format.js';
import { printInspected } from './inspect-print.js';

async function inspector(ctx: Context): Promise<PluginInspector> {
  if (!ctx.clients.plugins) throw unimplemented('plugins through this client');
  return ctx.clients.plugins();
}

/** Docker's `plugin ls --filter`: `capability=volumedriver`, `enabled=true|false`. */
function pluginFilter(entries: string[]): (p: PluginInfo) => boolean {
  const caps: string[] = [];
  let enabled: boolean | undefined;
  for (const e of entries) {
    const [key, value = ''] = e.split(/=(.*)/s);
    if (key === 'capability') caps.push(value.toLowerCase());
    else if (key === 'enabled' && (value === 'true' || value === 'false')) enabled = value === 'true';
    else throw usageError(`invalid filter ${JSON.stringify(e)} (capability=NAME, enabled=true|false)`);
  }
  return (p) =>
    (caps.length === 0 || p.implements.some((i) => caps.includes(pluginCapability(i)))) &&
    (enabled === undefined || p.healthy === enabled);
}

/** `tscr plugin ls`. */
export const pluginLsCommand: Command = {
  path: ['plugin', 'ls'],
  aliases: [['plugin', 'list']],
  usage: '[OPTIONS]',
  summary: 'List the plugins the daemon finds (sockets and spec files), what they implement, whether they answer',
  flags: [
    { name: 'quiet', short: 'q', type: 'bool', description: 'Only display plugin names' },
    { name: 'filter', short: 'f', type: 'list', description: "Provide filter values (e.g. 'capability=volumedriver')" },
    { name: 'format', type: 'string', description: "Format output: 'table', 'json' or a Go template ({{.Name}})" },
  ],
  maxArgs: 0,
  async run(ctx, flags) {
    const keep = pluginFilter(list(flags, 'filter'));
    const plugins = (await (await inspector(ctx)).list()).filter(keep);
    let out: string;
    if (bool(flags, 'quiet')) out = plugins.map((p) => `${p.name}\n`).join('');
    else
      out = formatList(
        str(flags, 'format'),
        plugins,
        (p) => ({
          Name: p.name,
          Implements: p.implements.join(','),
          Address: p.address,
          Source: p.source,
          Enabled: p.healthy,
          Error: p.error ?? '',
        }),
        () =>
          table(
            ['NAME', 'IMPLEMENTS', 'ADDRESS', 'STATUS'],
            plugins.map((p) => [
              p.name,
              p.implements.join(',') || '-',
              p.address || '-',
              p.healthy ? 'ok' : `error: ${p.error ?? ''}`,
            ]),
          ),
      );
    await write(ctx.io.stdout, out);
    return 0;
  },
};

/** `tscr plugin inspect` (the same JSON as the Docker API's `GET /plugins/{name}/json`). */
export const pluginInspectCommand: Command = {
  path: ['plugin', 'inspect'],
  usage: '[OPTIONS] PLUGIN [PLUGIN...]',
  summary: 'Display detailed information on one or more plugins',
  flags: [{ name: 'format', short: 'f', type: 'string', description: 'Format output using a Go template' }],
  minArgs: 1,
  async run(ctx, flags, args) {
    const plugins = await inspector(ctx);
    return printInspected(ctx, flags, args, async (name) => pluginJson(await plugins.inspect(name)));
  },
};
