/** Images: list, inspect, pull/import, push, tag, remove, prune, history, search, save/load, commit. */
import { invalidArgument, isCancelled, type Image, type ImageConfig } from '@tscr/api';
import { applyImageChanges } from '@tscr/image';
import type { Progress } from '@tscr/registry-client';
import type { RegistryAuth } from '@tscr/registry-client/grpc';
import { familiar, imageInspectJson, imageSummaryJson, referenceMatches } from '../convert/images.js';
import { isNeutral } from '../convert/create.js';
import { about, unsupportedOption } from '../errors.js';
import {
  type Ctx,
  boolParam,
  checkFilterKeys,
  filtersParam,
  readJsonObject,
  response,
  sendJson,
  startStream,
} from '../http.js';
import { method } from '../optional.js';
import { containerId } from './lookup.js';
import { type Route, route } from './route.js';

function labelMatches(labels: Record<string, string> | undefined, filter: string): boolean {
  const l = labels ?? {};
  const eq = filter.indexOf('=');
  return eq < 0 ? filter in l : l[filter.slice(0, eq)] === filter.slice(eq + 1);
}

async function list(ctx: Ctx): Promise<void> {
  const filters = filtersParam(ctx.query);
  checkFilterKeys(filters, ['dangling', 'label', 'reference', 'before', 'since']);
  let images = await ctx.backends.images.list({ signal: ctx.signal });
  // Untagged images others were built from are intermediates: neither dangling nor listed without `all`.
  const parents = new Set(images.map((i) => i.parent).filter((p) => p !== undefined));
  const intermediate = (i: (typeof images)[number]) => i.repoTags.length === 0 && parents.has(i.id);
  const dangling = filters.get('dangling')?.[0];
  if (dangling !== undefined) {
    const want = dangling === 'true' || dangling === '1';
    images = images.filter((i) => (i.repoTags.length === 0 && !intermediate(i)) === want);
  }
  for (const l of filters.get('label') ?? []) images = images.filter((i) => labelMatches(i.config.labels, l));
  const refs = filters.get('reference') ?? [];
  if (refs.length) images = images.filter((i) => i.repoTags.some((t) => refs.some((p) => referenceMatches(p, t))));
  for (const key of ['before', 'since'] as const) {
    for (const ref of filters.get(key) ?? []) {
      const pivot = await about('image', ref, () => ctx.backends.images.get(ref, { signal: ctx.signal }));
      images = images.filter((i) => (key === 'before' ? i.created < pivot.created : i.created > pivot.created));
    }
  }
  if (!boolParam(ctx.query, 'all')) images = images.filter((i) => !intermediate(i));
  sendJson(
    ctx,
    200,
    images.map((i) => imageSummaryJson(i, ctx.version)),
  );
}

async function getImage(ctx: Ctx, name: string): Promise<Image> {
  return about('image', name, () => ctx.backends.images.get(name, { signal: ctx.signal }));
}

async function inspect(ctx: Ctx): Promise<void> {
  const image = await getImage(ctx, ctx.params.name ?? '');
  sendJson(ctx, 200, imageInspectJson(image, ctx.version));
}

/** `X-Registry-Auth`: base64url JSON `{username, password, identitytoken}`. */
export function registryAuth(ctx: Ctx): RegistryAuth | undefined {
  const header = ctx.req.headers['x-registry-auth'];
  if (typeof header !== 'string' || header === '') return undefined;
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(Buffer.from(header, 'base64url').toString('utf8'));
  } catch {
    throw invalidArgument('invalid X-Registry-Auth header: not base64url JSON');
  }
  const auth: RegistryAuth = {};
  if (typeof parsed.username === 'string' && parsed.username) auth.username = parsed.username;
  if (typeof parsed.password === 'string' && parsed.password) auth.password = parsed.password;
  if (typeof parsed.identitytoken === 'string' && parsed.identitytoken) auth.identityToken = parsed.identitytoken;
  return Object.keys(auth).length ? auth : undefined;
}

/** A registry progress report as a dockerd JSON message line. */
export function progressLine(p: Progress, tag: string): string {
  const msg: Record<string, unknown> = { status: p.status };
  if (p.id.startsWith('sha256:')) msg.id = p.id.slice(7, 19);
  else if (p.status.startsWith('Pulling from') || p.status.startsWith('The push refers')) msg.id = tag;
  if (p.status.startsWith('Downloaded image for '))
    msg.status = `Status: Downloaded newer image for ${p.status.slice(21)}`;
  if (p.current !== undefined || p.total !== undefined)
    msg.progressDetail = {
      ...(p.current !== undefined ? { current: p.current } : {}),
      ...(p.total ? { total: p.total } : {}),
    };
  return `${JSON.stringify(msg)}\n`;
}

/**
 * Streams `progress` as NDJSON. The answer starts with the first report, so an
 * error before it (unknown image, bad credentials) is a plain JSON error with
 * dockerd's status; later ones are `{"error": …}` lines, as dockerd sends them.
 */
async function streamProgress(ctx: Ctx, progress: AsyncIterable<Progress>, tag: string): Promise<void> {
  const it = progress[Symbol.asyncIterator]();
  const first = await it.next();
  const write = startStream(ctx, 'application/json');
  try {
    for (let r = first; !r.done; r = await it.next()) if (!(await write(progressLine(r.value, tag)))) return;
  } catch (err) {
    if (isCancelled(err) && ctx.signal.aborted) return;
    const message = (err as Error).message;
    await write(`${JSON.stringify({ errorDetail: { message }, error: message })}\n`);
  } finally {
    void it.return?.();
    response(ctx).end();
  }
}

async function createImage(ctx: Ctx): Promise<void> {
  const q = ctx.query;
  const fromImage = q.get('fromImage');
  const fromSrc = q.get('fromSrc');
  const platform = q.get('platform');
  if (platform && platform !== 'linux' && !platform.startsWith('linux/')) throw unsupportedOption('platform', platform);
  if (fromSrc) return importImage(ctx, fromSrc);
  if (!fromImage) throw invalidArgument('fromImage or fromSrc is required');
  const tag = q.get('tag') ?? '';
  const ref = tag ? (tag.startsWith('sha256:') ? `${fromImage}@${tag}` : `${fromImage}:${tag}`) : fromImage;
  const auth = registryAuth(ctx);
  const progress = ctx.backends.registry.pull(ref, { signal: ctx.signal, ...(auth ? { auth } : {}) });
  await streamProgress(ctx, progress, tag || 'latest');
}

async function importImage(ctx: Ctx, fromSrc: string): Promise<void> {
  if (fromSrc !== '-') throw unsupportedOption('fromSrc', 'only "-" (the request body) is supported');
  const changes = changesParam(ctx.query);
  const repo = ctx.query.get('repo');
  const tag = ctx.query.get('tag');
  const message = ctx.query.get('message');
  const image = await ctx.backends.images.importTar(ctx.req as AsyncIterable<Uint8Array>, {
    signal: ctx.signal,
    ...(repo ? { reference: tag ? `${repo}:${tag}` : repo } : {}),
    ...(message ? { message } : {}),
    ...(changes && { config: changes }),
  });
  const write = startStream(ctx, 'application/json');
  await write(`${JSON.stringify({ status: image.id })}\n`);
  response(ctx).end();
}

async function push(ctx: Ctx): Promise<void> {
  const name = ctx.params.name ?? '';
  const tag = ctx.query.get('tag');
  const ref = tag ? `${name}:${tag}` : name;
  await getImage(ctx, ref);
  const auth = registryAuth(ctx);
  const progress = ctx.backends.registry.push(ref, { signal: ctx.signal, ...(auth ? { auth } : {}) });
  await streamProgress(ctx, progress, tag || 'latest');
}

async function tag(ctx: Ctx): Promise<void> {
  const name = ctx.params.name ?? '';
  const repo = ctx.query.get('repo');
  if (!repo) throw invalidArgument('repository name is required (repo)');
  const t = ctx.query.get('tag');
  await getImage(ctx, name);
  await ctx.backends.images.tag(name, t ? `${repo}:${t}` : repo, { signal: ctx.signal });
  response(ctx).writeHead(201).end();
}

async function remove(ctx: Ctx): Promise<void> {
  const name = ctx.params.name ?? '';
  await getImage(ctx, name);
  const results = await ctx.backends.images.remove(name, { force: boolParam(ctx.query, 'force'), signal: ctx.signal });
  sendJson(
    ctx,
    200,
    results.map((r) => (r.untagged ? { Untagged: familiar(r.untagged) } : { Deleted: r.deleted ?? '' })),
  );
}

async function prune(ctx: Ctx): Promise<void> {
  const filters = filtersParam(ctx.query);
  checkFilterKeys(filters, ['dangling', 'label', 'label!', 'until']);
  if (filters.has('until')) throw unsupportedOption('filters.until');
  const dangling = filters.get('dangling')?.[0];
  const all = dangling === 'false' || dangling === '0';
  const pruneFn = method(ctx.backends.images, 'prune', 'POST /images/prune');
  const result = (await pruneFn({
    all,
    filters: [
      ...(filters.get('label') ?? []).map((l) => `label=${l}`),
      ...(filters.get('label!') ?? []).map((l) => `label!=${l}`),
    ],
    signal: ctx.signal,
  })) as { deleted: { untagged?: string; deleted?: string }[]; spaceReclaimed: number };
  sendJson(ctx, 200, {
    ImagesDeleted: result.deleted.map((r) =>
      r.untagged ? { Untagged: familiar(r.untagged) } : { Deleted: r.deleted },
    ),
    SpaceReclaimed: result.spaceReclaimed,
  });
}

async function history(ctx: Ctx): Promise<void> {
  const name = ctx.params.name ?? '';
  await getImage(ctx, name);
  const entries = (await method(
    ctx.backends.images,
    'history',
    'GET /images/{name}/history',
  )(name, {
    signal: ctx.signal,
  })) as { id: string; created: string; createdBy: string; size: number; comment: string; tags: string[] }[];
  sendJson(
    ctx,
    200,
    entries.map((e) => ({
      Id: e.id,
      Created: Math.floor((Date.parse(e.created) || 0) / 1000),
      CreatedBy: e.createdBy,
      Tags: e.tags.length ? e.tags.map(familiar) : null,
      Size: e.size,
      Comment: e.comment,
    })),
  );
}

async function search(ctx: Ctx): Promise<void> {
  // No registry index is reachable from tscrd: an empty result, as for a search that finds nothing.
  if (!ctx.query.get('term')) throw invalidArgument('term is required');
  sendJson(ctx, 200, []);
}

async function save(ctx: Ctx, names: string[]): Promise<void> {
  if (names.length === 0) throw invalidArgument('no image names given');
  for (const n of names) await getImage(ctx, n);
  const saveFn = method(ctx.backends.images, 'save', 'GET /images/get');
  const tar = saveFn(names, { signal: ctx.signal }) as AsyncIterable<Uint8Array>;
  const it = tar[Symbol.asyncIterator]();
  const first = await it.next();
  const write = startStream(ctx, 'application/x-tar');
  try {
    for (let r = first; !r.done; r = await it.next()) if (!(await write(r.value))) break;
  } finally {
    void it.return?.();
    response(ctx).end();
  }
}

async function load(ctx: Ctx): Promise<void> {
  const loadFn = method(ctx.backends.images, 'load', 'POST /images/load');
  const loaded = (await loadFn(ctx.req as AsyncIterable<Uint8Array>, { signal: ctx.signal })) as {
    id: string;
    refs: string[];
  }[];
  const write = startStream(ctx, 'application/json');
  for (const l of loaded) {
    if (l.refs.length === 0) await write(`${JSON.stringify({ stream: `Loaded image ID: ${l.id}\n` })}\n`);
    for (const r of l.refs) await write(`${JSON.stringify({ stream: `Loaded image: ${familiar(r)}\n` })}\n`);
  }
  response(ctx).end();
}

/** `changes=…` (repeated): Dockerfile instructions, as `-c` of the native CLI. @throws InvalidArgument. */
function changesParam(q: URLSearchParams): ImageConfig | undefined {
  const changes = q.getAll('changes').filter((c) => c.trim() !== '');
  return changes.length > 0 ? applyImageChanges(changes) : undefined;
}

async function commit(ctx: Ctx): Promise<void> {
  const q = ctx.query;
  const container = q.get('container');
  if (!container) throw invalidArgument('container is required');
  const changes = changesParam(q);
  const body = await readJsonObject(ctx);
  if (!isNeutral(body)) throw unsupportedOption('commit config (request body)');
  const id = await containerId({ ...ctx, params: { id: container } });
  const repo = q.get('repo');
  const tagName = q.get('tag');
  const commitFn = method(ctx.backends.containers, 'commit', 'POST /commit');
  const image = (await commitFn(id, {
    ...(repo ? { reference: tagName ? `${repo}:${tagName}` : repo } : {}),
    ...(q.get('comment') ? { comment: q.get('comment') } : {}),
    ...(q.get('author') ? { author: q.get('author') } : {}),
    pause: boolParam(q, 'pause', true),
    ...(changes && { changes }),
    signal: ctx.signal,
  })) as { id: string };
  sendJson(ctx, 201, { Id: image.id });
}

export const imageRoutes: Route[] = [
  route('GET', '/images/json', list),
  route('POST', '/images/create', createImage),
  route('POST', '/images/load', load),
  route('POST', '/images/prune', prune),
  route('GET', '/images/search', search),
  route('GET', '/images/get', (ctx) => save(ctx, ctx.query.getAll('names'))),
  route('POST', '/commit', commit),
  route('GET', '/images/:name*/json', inspect),
  route('GET', '/images/:name*/history', history),
  route('GET', '/images/:name*/get', (ctx) => save(ctx, [ctx.params.name ?? ''])),
  route('POST', '/images/:name*/push', push),
  route('POST', '/images/:name*/tag', tag),
  route('DELETE', '/images/:name*', remove),
];
