import { isNotFound, notFound } from '@tscr/api';
import { str, usageError } from '../args.js';
import type { Command, Context } from '../command.js';
import { containerInspectJson, imageInspectJson, MAX_MINOR } from '@tscr/docker-api/json';
import { printInspected } from './inspect-print.js';

type Kind = 'container' | 'image' | undefined;

async function lookup(ctx: Context, kind: Kind, name: string): Promise<Record<string, unknown>> {
  if (kind !== 'image') {
    try {
      // The Docker API's renderer, so `tscr inspect` and `GET /containers/{id}/json` agree field for field.
      return containerInspectJson(await (await ctx.clients.containers()).inspect(name));
    } catch (err) {
      if (!isNotFound(err)) throw err;
      if (kind === 'container') throw notFound(`No such container: ${name}`);
    }
  }
  try {
    return imageInspectJson(await (await ctx.clients.images()).get(name), MAX_MINOR);
  } catch (err) {
    if (!isNotFound(err)) throw err;
    throw notFound(kind === 'image' ? `No such image: ${name}` : `No such object: ${name}`);
  }
}

function inspectCommand(path: string[], fixed: Kind, aliases: string[][]): Command {
  return {
    path,
    aliases,
    usage: '[OPTIONS] NAME|ID [NAME|ID...]',
    summary: `Return low-level information on ${fixed ? `${fixed}s` : 'containers or images'}`,
    flags: [
      {
        name: 'format',
        short: 'f',
        type: 'string',
        description: 'Format output using a Go template ({{.State.Status}})',
      },
      ...(fixed
        ? []
        : [{ name: 'type', type: 'string' as const, description: 'Only inspect objects of the given type' }]),
    ],
    minArgs: 1,
    async run(ctx, flags, args) {
      const type = fixed ?? str(flags, 'type');
      if (type !== undefined && type !== 'container' && type !== 'image') {
        throw usageError(`"${type}" is not a valid value for --type`);
      }
      return printInspected(ctx, flags, args, (name) => lookup(ctx, type, name));
    },
  };
}

/** `tscr inspect`. */
export const inspectAnyCommand = inspectCommand(['inspect'], undefined, []);
/** `tscr container inspect`. */
export const containerInspectCommand = inspectCommand(['container', 'inspect'], 'container', []);
/** `tscr image inspect`. */
export const imageInspectCommand = inspectCommand(['image', 'inspect'], 'image', []);
