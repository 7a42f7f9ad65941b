import { promises as fsp } from 'node:fs';
import { fromSystemError, invalidArgument, unimplemented, type Image } from '@tscr/api';
import { bool, list, str } from '../args.js';
import { forEachArg, write, type Command } from '../command.js';
import { familiarName, formatList, humanSize, shortId, splitReference, table, timeAgo } from '../format.js';
import { applyChanges } from './import-changes.js';

/** One row per tag (or a `<none>` row for an untagged image), as `docker images` lists them. */
function imageRows(images: Image[], filter: string | undefined) {
  const rows = images.flatMap((img) => {
    const names = img.repoTags.length > 0 ? img.repoTags : img.repoDigests;
    const refs = names.length > 0 ? names.map(splitReference) : [{ repository: '<none>', tag: '<none>' }];
    return refs.map((r) => ({ ...r, img, digest: repoDigest(img, r.repository) }));
  });
  if (filter === undefined) return rows;
  const want = splitReference(filter);
  const tagGiven = familiarName(filter).lastIndexOf(':') > familiarName(filter).lastIndexOf('/');
  return rows.filter((r) => r.repository === want.repository && (!tagGiven || r.tag === want.tag));
}

/** The digest `img` has in `repository` (from its RepoDigests), or `<none>`. */
function repoDigest(img: Image, repository: string): string {
  for (const rd of img.repoDigests) {
    const at = rd.lastIndexOf('@');
    if (at > 0 && familiarName(rd.slice(0, at)) === repository) return rd.slice(at + 1);
  }
  return '<none>';
}

/** As docker: untagged images that other images were built from (a build's steps) show only with `-a`. */
function visibleImages(images: Image[], all: boolean): Image[] {
  if (all) return images;
  const parents = new Set(images.map((i) => i.parent).filter((p) => p !== undefined));
  return images.filter((i) => i.repoTags.length > 0 || !parents.has(i.id));
}

/** `tscr images`. */
export const imagesCommand: Command = {
  path: ['images'],
  aliases: [
    ['image', 'ls'],
    ['image', 'list'],
  ],
  usage: '[OPTIONS] [REPOSITORY[:TAG]]',
  summary: 'List images',
  flags: [
    { name: 'all', short: 'a', type: 'bool', description: 'Show all images (default hides intermediate images)' },
    { name: 'quiet', short: 'q', type: 'bool', description: 'Only show image IDs' },
    { name: 'no-trunc', type: 'bool', description: "Don't truncate output" },
    { name: 'digests', type: 'bool', description: 'Show digests' },
    { name: 'format', type: 'string', description: "Format output: 'table', 'json' or a Go template ({{.ID}})" },
  ],
  maxArgs: 1,
  async run(ctx, flags, args) {
    const rows = imageRows(visibleImages(await (await ctx.clients.images()).list(), bool(flags, 'all')), args[0]);
    const noTrunc = bool(flags, 'no-trunc');
    const id = (img: Image) => (noTrunc ? img.id : shortId(img.id));
    const now = ctx.now();
    const format = str(flags, 'format') ?? 'table';
    let out: string;
    if (bool(flags, 'quiet')) {
      out = [...new Set(rows.map((r) => id(r.img)))].map((i) => `${i}\n`).join('');
    } else {
      const digests = bool(flags, 'digests');
      out = formatList(
        format,
        rows,
        (r) => ({
          ID: id(r.img),
          Repository: r.repository,
          Tag: r.tag,
          Digest: r.digest,
          CreatedAt: r.img.created,
          CreatedSince: timeAgo(r.img.created, now),
          Size: humanSize(r.img.size),
        }),
        () =>
          table(
            ['REPOSITORY', 'TAG', ...(digests ? ['DIGEST'] : []), 'IMAGE ID', 'CREATED', 'SIZE'],
            rows.map((r) => [
              r.repository,
              r.tag,
              ...(digests ? [r.digest] : []),
              id(r.img),
              timeAgo(r.img.created, now),
              humanSize(r.img.size),
            ]),
          ),
      );
    }
    await write(ctx.io.stdout, out);
    return 0;
  },
};

/** `tscr rmi`. */
export const rmiCommand: Command = {
  path: ['rmi'],
  aliases: [
    ['image', 'rm'],
    ['image', 'remove'],
  ],
  usage: '[OPTIONS] IMAGE [IMAGE...]',
  summary: 'Remove one or more images',
  flags: [{ name: 'force', short: 'f', type: 'bool', description: 'Force removal of the image' }],
  minArgs: 1,
  async run(ctx, flags, args) {
    const images = await ctx.clients.images();
    return forEachArg(ctx, args, async (ref) => {
      const results = await images.remove(ref, { force: bool(flags, 'force') });
      const lines = results.flatMap((r) => [
        ...(r.untagged ? [`Untagged: ${familiarName(r.untagged)}`] : []),
        ...(r.deleted ? [`Deleted: ${r.deleted}`] : []),
      ]);
      return lines.length > 0 ? lines.join('\n') : undefined;
    });
  },
};

/** `tscr tag`. */
export const tagCommand: Command = {
  path: ['tag'],
  aliases: [['image', 'tag']],
  usage: 'SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]',
  summary: 'Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE',
  flags: [],
  minArgs: 2,
  maxArgs: 2,
  async run(ctx, _flags, args) {
    await (await ctx.clients.images()).tag(args[0]!, args[1]!);
    return 0;
  },
};

/** `tscr image import`. */
export const importCommand: Command = {
  path: ['image', 'import'],
  aliases: [['import']],
  usage: '[OPTIONS] file|- [REPOSITORY[:TAG]]',
  summary: 'Import the contents from a tarball to create a filesystem image',
  flags: [
    { name: 'change', short: 'c', type: 'list', description: 'Apply Dockerfile instruction to the created image' },
    { name: 'message', short: 'm', type: 'string', description: 'Set commit message for imported image' },
    { name: 'platform', type: 'string', description: 'Set platform (only the host platform is supported)' },
  ],
  minArgs: 1,
  maxArgs: 2,
  async run(ctx, flags, args) {
    const [file, reference] = args as [string, string | undefined];
    if (/^https?:\/\//.test(file)) throw unimplemented('import from a URL');
    if (str(flags, 'platform') !== undefined) throw unimplemented('import --platform');
    const config = applyChanges(list(flags, 'change'));
    let tar: AsyncIterable<Uint8Array>;
    if (file === '-') {
      if (!ctx.io.stdin) throw invalidArgument('no standard input to import from');
      tar = ctx.io.stdin as AsyncIterable<Uint8Array>;
    } else {
      const handle = await fsp.open(file).catch((err: unknown) => {
        throw fromSystemError(err, `open ${file}`);
      });
      tar = handle.createReadStream();
    }
    const message = str(flags, 'message');
    const image = await (await ctx.clients.images()).importTar(tar, {
      config,
      ...(reference !== undefined && { reference }),
      ...(message !== undefined && { message }),
    });
    await write(ctx.io.stdout, `${image.id}\n`);
    return 0;
  },
};
