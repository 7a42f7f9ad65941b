import { promises as fsp } from 'node:fs';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { fromSystemError, invalidArgument, notFound, unimplemented, isErrno } from '@tscr/api';
import { DockerIgnore, type BuildEvent, type BuildOptions } from '@tscr/builder';
import { bool, list, str } from '../args.js';
import { write, type Command, type Context } from '../command.js';
import { shortId } from '../format.js';
import { grpcClients } from '../client.js';

/** `K=V` list → record; `K` alone takes the value from the environment (left out when unset). */
function pairs(ctx: Context, items: string[], what: string, fromEnv: boolean): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of items) {
    const eq = item.indexOf('=');
    if (eq === 0) throw invalidArgument(`invalid ${what} ${JSON.stringify(item)}: want KEY=VALUE`);
    if (eq < 0) {
      if (!fromEnv) {
        out[item] = '';
        continue;
      }
      const v = ctx.io.env[item];
      if (v !== undefined) out[item] = v;
      continue;
    }
    out[item.slice(0, eq)] = item.slice(eq + 1);
  }
  return out;
}

/** The context directory as a tar stream, leaving out what `.dockerignore` names (the Dockerfile and .dockerignore always go). */
async function contextTar(dir: string): Promise<AsyncIterable<Uint8Array>> {
  const st = await fsp.stat(dir).catch((err: unknown) => {
    throw fromSystemError(err, `unable to prepare context: path ${JSON.stringify(dir)} not found`);
  });
  if (!st.isDirectory()) throw invalidArgument(`unable to prepare context: ${dir} is not a directory`);
  const ignoreText = await fsp.readFile(resolve(dir, '.dockerignore'), 'utf8').catch(() => '');
  // DockerIgnore is a pure helper of the builder's "." entry: the CLI bundle carries no builder code beyond it.
  const ignore = ignoreText.trim() ? DockerIgnore.parse(ignoreText) : undefined;
  const { create } = await import('tar');
  const keep = new Set(['Dockerfile', '.dockerignore']);
  return create(
    {
      cwd: dir,
      portable: true,
      filter: (path: string) => {
        const rel = path.replace(/^\.\/?/, '');
        // With exceptions (`!…`) an ignored directory may hold kept files: the daemon filters those.
        if (!ignore || rel === '' || keep.has(rel) || ignore.empty || ignore.hasExceptions) return true;
        return !ignore.ignores(rel);
      },
    },
    ['.'],
  ) as unknown as AsyncIterable<Uint8Array>;
}

/** Prints one build event the way Docker's classic builder does. */
async function show(ctx: Context, e: BuildEvent, quiet: boolean): Promise<void> {
  if (quiet) return;
  const out = ctx.io.stdout;
  switch (e.type) {
    case 'step':
      return write(out, `Step ${e.index}/${e.total} : ${e.instruction}\n`);
    case 'output':
      return write(out, e.data);
    case 'stepDone':
      if (e.cached) await write(out, ' ---> Using cache\n');
      if (e.imageId) await write(out, ` ---> ${shortId(e.imageId)}\n`);
      return;
    case 'message':
      return write(ctx.io.stderr, `${e.text}\n`);
    case 'result':
      return;
  }
}

/** `tscr build`: builds an image from a Dockerfile and a context directory, streaming its steps. */
export const buildCommand: Command = {
  path: ['image', 'build'],
  aliases: [['build']],
  usage: '[OPTIONS] PATH | -',
  summary: 'Build an image from a Dockerfile',
  flags: [
    { name: 'tag', short: 't', type: 'list', description: "Name and optionally a tag in the 'name:tag' format" },
    { name: 'file', short: 'f', type: 'string', description: "Name of the Dockerfile (Default is 'PATH/Dockerfile')" },
    { name: 'build-arg', type: 'list', description: 'Set build-time variables' },
    { name: 'target', type: 'string', description: 'Set the target build stage to build' },
    { name: 'no-cache', type: 'bool', description: 'Do not use cache when building the image' },
    { name: 'label', type: 'list', description: 'Set metadata for an image' },
    { name: 'iidfile', type: 'string', description: 'Write the image ID to the file' },
    { name: 'quiet', short: 'q', type: 'bool', description: 'Suppress the build output and print image ID on success' },
    { name: 'network', type: 'string', description: 'Networking mode for the RUN instructions (none or host)' },
  ],
  minArgs: 1,
  maxArgs: 1,
  async run(ctx, flags, args) {
    const path = args[0] as string;
    if (/^(https?|git):\/\//.test(path) || path.startsWith('git@')) {
      throw unimplemented(
        'building from a remote context (URL or git repository); clone or download it and build the directory',
      );
    }
    const quiet = bool(flags, 'quiet');
    const opts: BuildOptions = {
      tags: list(flags, 'tag'),
      buildArgs: pairs(ctx, list(flags, 'build-arg'), 'build arg', true),
      labels: pairs(ctx, list(flags, 'label'), 'label', false),
      noCache: bool(flags, 'no-cache'),
    };
    const target = str(flags, 'target');
    if (target) opts.target = target;
    const network = str(flags, 'network');
    if (network !== undefined) {
      if (network !== 'none' && network !== 'host' && network !== 'default') {
        throw invalidArgument(
          `network mode ${JSON.stringify(network)} is not supported by the builder: use none or host`,
        );
      }
      if (network !== 'default') opts.network = network;
    }
    let context: AsyncIterable<Uint8Array>;
    const file = str(flags, 'file');
    if (path === '-') {
      if (!ctx.io.stdin) throw invalidArgument('no standard input to read the build context from');
      if (file === '-') throw invalidArgument('the Dockerfile and the context cannot both come from standard input');
      context = ctx.io.stdin as AsyncIterable<Uint8Array>;
      if (file !== undefined) opts.dockerfile = file;
    } else {
      context = await contextTar(path);
      if (file === '-') {
        if (!ctx.io.stdin) throw invalidArgument('no standard input to read the Dockerfile from');
        const parts: Buffer[] = [];
        for await (const chunk of ctx.io.stdin as AsyncIterable<Buffer>) parts.push(chunk);
        opts.dockerfileContent = Buffer.concat(parts).toString('utf8');
      } else if (file !== undefined) {
        const abs = resolve(file);
        const rel = relative(resolve(path), abs);
        if (rel !== '' && !rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel)) {
          opts.dockerfile = rel.split(sep).join('/');
        } else {
          opts.dockerfileContent = await fsp.readFile(abs, 'utf8').catch((err: unknown) => {
            if (isErrno(err, 'ENOENT')) {
              throw notFound(`cannot find the Dockerfile ${file}`, { details: { file } });
            }
            throw fromSystemError(err, `cannot read the Dockerfile ${file}`);
          });
        }
      }
    }
    const { GrpcBuilderService } = await grpcClients();
    const builder = new GrpcBuilderService(ctx.target);
    try {
      let result: Extract<BuildEvent, { type: 'result' }> | undefined;
      for await (const e of builder.build(context, opts)) {
        if (e.type === 'result') result = e;
        await show(ctx, e, quiet);
      }
      if (!result) throw invalidArgument('the build ended without a result');
      const iidfile = str(flags, 'iidfile');
      if (iidfile) await fsp.writeFile(iidfile, result.imageId);
      if (quiet) {
        await write(ctx.io.stdout, `${result.imageId}\n`);
        return 0;
      }
      await write(ctx.io.stdout, `Successfully built ${shortId(result.imageId)}\n`);
      for (const t of result.tags) {
        const tagged = t.includes('@') || t.lastIndexOf(':') > t.lastIndexOf('/') ? t : `${t}:latest`;
        await write(ctx.io.stdout, `Successfully tagged ${tagged}\n`);
      }
      return 0;
    } finally {
      builder.close();
    }
  },
};
