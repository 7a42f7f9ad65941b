import { crypto } from '../builtin.js';
import { createWriteStream, promises as fsp } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fromSystemError, invalidArgument } from '@tscr/api';
import type { ArchiveFormat } from '@tscr/image';
import { bool, str, usageError } from '../args.js';
import { write, type Command } from '../command.js';
import { familiarName } from '../format.js';

const FORMATS: readonly ArchiveFormat[] = ['docker-archive', 'oci-archive'];

function isTty(stream: unknown): boolean {
  return (stream as { isTTY?: boolean }).isTTY === true;
}

/** `tscr save`: the archive goes to `-o FILE` (written whole or not at all) or to a non-terminal stdout. */
export const saveCommand: Command = {
  path: ['save'],
  aliases: [['image', 'save']],
  usage: '[OPTIONS] IMAGE [IMAGE...]',
  summary: 'Save one or more images to a tar archive (streamed to STDOUT by default)',
  flags: [
    { name: 'output', short: 'o', type: 'string', description: 'Write to a file, instead of STDOUT' },
    { name: 'format', type: 'string', description: 'Archive format: docker-archive (default) or oci-archive' },
  ],
  minArgs: 1,
  async run(ctx, flags, args) {
    const output = str(flags, 'output');
    const format = (str(flags, 'format') ?? 'docker-archive') as ArchiveFormat;
    if (!FORMATS.includes(format)) throw usageError(`unknown --format ${format}: want docker-archive or oci-archive`);
    if (output === undefined && isTty(ctx.io.stdout)) {
      throw usageError('cowardly refusing to save to a terminal. Use the -o flag or redirect');
    }
    const stream = (await ctx.clients.images()).save(args, { format })[Symbol.asyncIterator]();
    const first = await stream.next(); // a missing image fails here, before any file exists
    async function* all(): AsyncGenerator<Uint8Array, void, undefined> {
      if (first.done) return;
      yield first.value;
      for (;;) {
        const r = await stream.next();
        if (r.done) return;
        yield r.value;
      }
    }
    if (output === undefined) {
      for await (const chunk of all()) await write(ctx.io.stdout, chunk);
      return 0;
    }
    const tmp = join(dirname(output), `.${basename(output)}.tscr-${crypto().randomBytes(4).toString('hex')}`);
    try {
      await pipeline(Readable.from(all()), createWriteStream(tmp, { flags: 'wx' }));
      await fsp.rename(tmp, output);
    } catch (err) {
      await fsp.rm(tmp, { force: true });
      throw fromSystemError(err, `cannot write ${output}`);
    }
    return 0;
  },
};

/** `tscr load`: from `-i FILE` or stdin; docker-archive or OCI layout, told by content. */
export const loadCommand: Command = {
  path: ['load'],
  aliases: [['image', 'load']],
  usage: '[OPTIONS]',
  summary: 'Load an image from a tar archive or STDIN',
  flags: [
    { name: 'input', short: 'i', type: 'string', description: 'Read from tar archive file, instead of STDIN' },
    { name: 'quiet', short: 'q', type: 'bool', description: 'Suppress the load output' },
  ],
  maxArgs: 0,
  async run(ctx, flags) {
    const input = str(flags, 'input');
    let tar: AsyncIterable<Uint8Array>;
    if (input !== undefined) {
      const handle = await fsp.open(input).catch((err: unknown) => {
        throw fromSystemError(err, `open ${input}`);
      });
      tar = handle.createReadStream();
    } else {
      if (!ctx.io.stdin || isTty(ctx.io.stdin)) {
        throw invalidArgument('requested load from stdin, but stdin is empty (use -i FILE or a pipe)');
      }
      tar = ctx.io.stdin as AsyncIterable<Uint8Array>;
    }
    const loaded = await (await ctx.clients.images()).load(tar);
    if (bool(flags, 'quiet')) return 0;
    const lines = loaded.flatMap((l) =>
      l.refs.length > 0 ? l.refs.map((r) => `Loaded image: ${familiarName(r)}`) : [`Loaded image ID: ${l.id}`],
    );
    await write(ctx.io.stdout, lines.map((l) => `${l}\n`).join(''));
    return 0;
  },
};
