import { isUnavailable } from '@tscr/api';
import { str, type FlagValues } from '../args.js';
import { reportError, write, type Context } from '../command.js';
import { renderTemplate } from '../format.js';

/**
 * What every `inspect` prints: the objects `fetch` finds for `names`, as one
 * JSON array or one `--format` line each; a name it cannot find is reported
 * and makes the exit code 1, an unreachable daemon ends the command.
 */
export async function printInspected(
  ctx: Context,
  flags: FlagValues,
  names: string[],
  fetch: (name: string) => Promise<Record<string, unknown>>,
): Promise<number> {
  const found: Record<string, unknown>[] = [];
  let code = 0;
  for (const name of names) {
    try {
      found.push(await fetch(name));
    } catch (err) {
      if (isUnavailable(err)) throw err;
      code = 1;
      await reportError(ctx, err);
    }
  }
  const format = str(flags, 'format');
  const out = format
    ? found.map((v) => `${renderTemplate(format, v)}\n`).join('')
    : `${JSON.stringify(found, null, 4)}\n`;
  await write(ctx.io.stdout, out);
  return code;
}
