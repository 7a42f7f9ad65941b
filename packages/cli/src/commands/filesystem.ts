import { createWriteStream, promises as fsp } from 'node:fs';
import { basename, dirname, join, resolve as resolvePath } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { PathStat } from '@tscr/api';
import { fromSystemError, invalidArgument, isNotFound } from '@tscr/api';
import type { ContainerService } from '@tscr/container';
import { bool, str, usageError } from '../args.js';
import { write, type Command, type Context } from '../command.js';

/** Go's os.ModeDir bit in a PathStat mode. */
const MODE_DIR = 2 ** 31;

/** Writes a byte stream to stdout (with backpressure) or to a file. */
async function sink(ctx: Context, data: AsyncIterable<Uint8Array>, file?: string): Promise<void> {
  if (file) {
    try {
      await pipeline(Readable.from(data), createWriteStream(file));
    } catch (err) {
      throw fromSystemError(err, `cannot write ${file}`);
    }
    return;
  }
  for await (const chunk of data) await write(ctx.io.stdout, chunk);
}

/** `tscr diff`. */
export const diffCommand: Command = {
  path: ['diff'],
  aliases: [['container', 'diff']],
  usage: 'CONTAINER',
  summary: "Inspect changes to files or directories on a container's filesystem",
  flags: [],
  minArgs: 1,
  maxArgs: 1,
  async run(ctx, _flags, args) {
    const containers = await ctx.clients.containers();
    for (const c of await containers.changes(args[0]!)) await write(ctx.io.stdout, `${c.kind} ${c.path}\n`);
    return 0;
  },
};

/** `tscr export`. */
export const exportCommand: Command = {
  path: ['export'],
  aliases: [['container', 'export']],
  usage: '[OPTIONS] CONTAINER',
  summary: "Export a container's filesystem as a tar archive",
  flags: [{ name: 'output', short: 'o', type: 'string', description: 'Write to a file, instead of STDOUT' }],
  minArgs: 1,
  maxArgs: 1,
  async run(ctx, flags, args) {
    const output = str(flags, 'output');
    if (!output && (ctx.io.stdout as { isTTY?: boolean }).isTTY) {
      throw usageError('cowardly refusing to save to a terminal. Use the -o flag or redirect');
    }
    const containers = await ctx.clients.containers();
    await sink(ctx, containers.export(args[0]!), output);
    return 0;
  },
};

/** `CONTAINER:PATH` → parts; undefined for a local path. */
export function splitCpArg(arg: string): { container?: string; path: string } {
  if (arg.startsWith('/') || arg.startsWith('.')) return { path: arg };
  const colon = arg.indexOf(':');
  if (colon <= 0) return { path: arg };
  return { container: arg.slice(0, colon), path: arg.slice(colon + 1) };
}

/** A tar of the local `src` with its top entry named `name`; owners zeroed unless `archive`. */
async function packLocal(
  src: string,
  name: string,
  contentsOnly: boolean,
  archive: boolean,
): Promise<AsyncIterable<Uint8Array>> {
  const { Pack } = await import('tar');
  const abs = resolvePath(src);
  const pack = new Pack({
    cwd: contentsOnly ? abs : dirname(abs),
    portable: !archive,
    ...(contentsOnly || name === basename(abs)
      ? {}
      : {
          onWriteEntry: (e: { path: string }) => {
            const base = basename(abs);
            if (e.path === base || e.path.startsWith(`${base}/`)) e.path = name + e.path.slice(base.length);
          },
        }),
  });
  pack.add(contentsOnly ? '.' : basename(abs));
  pack.end();
  return pack as unknown as AsyncIterable<Uint8Array>;
}

async function localStat(path: string) {
  try {
    return await fsp.lstat(path);
  } catch {
    return undefined;
  }
}

/** Extracts a container archive to the host path `dest`, docker cp's way. */
async function extractLocal(
  tar: AsyncIterable<Uint8Array>,
  stat: PathStat,
  dest: string,
  src: string,
  archive: boolean,
) {
  const { Unpack } = await import('tar');
  const into = async (cwd: string, strip = 0) => {
    const unpack = new Unpack({ cwd, strip, preserveOwner: archive, strict: true });
    try {
      await pipeline(Readable.from(tar), unpack as unknown as NodeJS.WritableStream);
    } catch (err) {
      throw fromSystemError(err, `cannot extract into ${cwd}`);
    }
  };
  const isDir = (stat.mode & MODE_DIR) !== 0;
  const contentsOnly = src.endsWith('/.');
  const target = await localStat(dest);
  if (target?.isDirectory()) return into(dest, contentsOnly ? 1 : 0);
  if (target && isDir) throw invalidArgument(`cannot copy a directory to a file: ${dest}`);
  if (dest.endsWith('/') && !isDir) throw invalidArgument(`destination directory ${dest} does not exist`);
  const parent = await localStat(dirname(resolvePath(dest)));
  if (!parent?.isDirectory()) throw invalidArgument(`destination directory ${dirname(dest)} does not exist`);
  if (isDir) {
    await fsp.mkdir(dest);
    return into(dest, 1);
  }
  const tmp = await fsp.mkdtemp(join(dirname(resolvePath(dest)), '.tscr-cp-'));
  try {
    await into(tmp);
    await fsp.rename(join(tmp, stat.name), dest);
  } finally {
    await fsp.rm(tmp, { recursive: true, force: true });
  }
}

async function copyOut(
  ctx: Context,
  containers: ContainerService,
  ref: string,
  src: string,
  dest: string,
  archive: boolean,
) {
  const { stat, tar } = await containers.getArchive(ref, src);
  if (dest === '-') return sink(ctx, tar);
  await extractLocal(tar, stat, dest, src, archive);
}

async function copyIn(
  ctx: Context,
  containers: ContainerService,
  src: string,
  ref: string,
  dest: string,
  archive: boolean,
) {
  if (src === '-') {
    if (!ctx.io.stdin) throw usageError('cannot read the archive from stdin here');
    return containers.putArchive(ref, dest, ctx.io.stdin as AsyncIterable<Uint8Array>);
  }
  const local = await localStat(src);
  if (!local) throw invalidArgument(`could not find the file ${src} on the host`, { details: { path: src } });
  const contentsOnly = src.endsWith('/.') && local.isDirectory();
  let target: PathStat | undefined;
  try {
    target = await containers.statPath(ref, dest);
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  if (target && (target.mode & MODE_DIR) !== 0) {
    return containers.putArchive(ref, dest, await packLocal(src, basename(resolvePath(src)), contentsOnly, archive));
  }
  if (target && local.isDirectory()) throw invalidArgument(`cannot copy a directory to a file: ${dest}`);
  if (!target && dest.endsWith('/'))
    throw invalidArgument(`destination directory ${dest} does not exist in the container`);
  const parent = dest.replace(/\/+$/, '').replace(/\/[^/]*$/, '') || '/';
  const name = basename(dest);
  return containers.putArchive(ref, parent, await packLocal(src, name, false, archive));
}

/** `tscr cp`. */
export const cpCommand: Command = {
  path: ['cp'],
  aliases: [['container', 'cp']],
  usage: '[OPTIONS] CONTAINER:SRC_PATH DEST_PATH|-\n       tscr cp [OPTIONS] SRC_PATH|- CONTAINER:DEST_PATH',
  summary: 'Copy files/folders between a container and the local filesystem',
  flags: [
    { name: 'archive', short: 'a', type: 'bool', description: 'Archive mode (copy all uid/gid information)' },
    { name: 'follow-link', short: 'L', type: 'bool', description: 'Always follow symbol link in SRC_PATH' },
    { name: 'quiet', short: 'q', type: 'bool', description: 'Suppress progress output during copy' },
  ],
  minArgs: 2,
  maxArgs: 2,
  async run(ctx, flags, args) {
    const from = splitCpArg(args[0]!);
    const to = splitCpArg(args[1]!);
    if (from.container && to.container) throw usageError('copying between containers is not supported');
    if (!from.container && !to.container) throw usageError('must specify at least one container source');
    const containers = await ctx.clients.containers();
    const archive = bool(flags, 'archive');
    if (from.container) {
      const src = bool(flags, 'follow-link') && !from.path.endsWith('/') ? `${from.path}/` : from.path;
      await copyOut(ctx, containers, from.container, src || '/', to.path, archive);
    } else {
      await copyIn(ctx, containers, from.path, to.container!, to.path || '/', archive);
    }
    return 0;
  },
};
