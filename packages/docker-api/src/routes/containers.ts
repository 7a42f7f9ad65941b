/** Containers: create, list, inspect, lifecycle, wait, remove, prune. Streams live in `streams.ts`. */
import {
  type ContainerSummary,
  type ExitStatus,
  failedPrecondition,
  invalidArgument,
  isFailedPrecondition,
  isNotFound,
} from '@tscr/api';
import type { WaitCondition } from '@tscr/container';
import { containerInspectJson, containerSummaryJson, unixSeconds } from '../convert/containers.js';
import { createRequest } from '../convert/create.js';
import { about, noSuch, unsupportedOption } from '../errors.js';
import {
  type Ctx,
  boolParam,
  checkFilterKeys,
  filtersParam,
  intParam,
  readJsonObject,
  response,
  sendEmpty,
  sendJson,
} from '../http.js';
import { has, method } from '../optional.js';
import { type Route, route } from './route.js';

const LIST_FILTERS = ['label', 'name', 'id', 'status', 'ancestor', 'exited', 'network', 'volume', 'health', 'is-task'];

function labelMatches(labels: Record<string, string>, filter: string): boolean {
  const eq = filter.indexOf('=');
  return eq < 0 ? filter in labels : labels[filter.slice(0, eq)] === filter.slice(eq + 1);
}

async function list(ctx: Ctx): Promise<void> {
  const { containers } = ctx.backends;
  const filters = filtersParam(ctx.query);
  checkFilterKeys(filters, LIST_FILTERS);
  const all = boolParam(ctx.query, 'all') || filters.has('status') || filters.has('exited');
  let rows = await containers.list({ all, signal: ctx.signal });
  // Ports, networks and mounts are in the records (an in-process lookup each).
  const infos = new Map(
    await Promise.all(
      rows.map(
        async (r) => [r.id, await containers.inspect(r.id, { signal: ctx.signal }).catch(() => undefined)] as const,
      ),
    ),
  );
  const any = (key: string, pred: (v: string) => boolean) => {
    const values = filters.get(key);
    return !values || values.length === 0 || values.some(pred);
  };
  rows = rows.filter((c: ContainerSummary) => {
    const info = infos.get(c.id);
    const name = (c.names[0] ?? '').replace(/^\//, '');
    return (
      (filters.get('label') ?? []).every((l) => labelMatches(c.labels, l)) &&
      any('name', (v) => new RegExp(v.replace(/^\//, '')).test(name)) &&
      any('id', (v) => c.id.startsWith(v)) &&
      any('status', (v) => c.state === v) &&
      any(
        'ancestor',
        (v) => c.image === v || c.imageId === v || c.imageId === `sha256:${v}` || info?.config.image === v,
      ) &&
      any('exited', (v) => c.state === 'exited' && String(info?.state.exitCode) === v) &&
      any(
        'network',
        (v) => (info?.hostConfig.networkMode || 'bridge') === v || v in (info?.networkSettings?.networks ?? {}),
      ) &&
      any('volume', (v) => Boolean(info?.mounts.some((m) => m.name === v || m.destination === v))) &&
      any('health', (v) => (info?.state.health?.status ?? 'none') === v) &&
      any('is-task', (v) => v === 'false')
    );
  });
  const limit = intParam(ctx.query, 'limit');
  if (limit !== undefined && limit > 0) rows = rows.slice(0, limit);
  sendJson(
    ctx,
    200,
    rows.map((c) => containerSummaryJson(c, infos.get(c.id))),
  );
}

async function create(ctx: Ctx): Promise<void> {
  const body = await readJsonObject(ctx);
  const platform = ctx.query.get('platform');
  if (platform && platform !== 'linux' && !platform.startsWith('linux/')) throw unsupportedOption('platform', platform);
  const req = createRequest(body, ctx.query.get('name') ?? undefined);
  const { id, warnings } = await ctx.backends.containers.create(req, { signal: ctx.signal }).catch((err: unknown) => {
    // A missing image is dockerd's "No such image" (the CLI then pulls); other NotFounds keep their text.
    if (isNotFound(err) && err.details.image !== undefined) throw noSuch('image', req.config.image);
    throw err;
  });
  sendJson(ctx, 201, { Id: id, Warnings: warnings });
}

async function inspect(ctx: Ctx): Promise<void> {
  const id = ctx.params.id ?? '';
  const info = await about('container', id, () => ctx.backends.containers.inspect(id, { signal: ctx.signal }));
  sendJson(ctx, 200, containerInspectJson(info));
}

async function start(ctx: Ctx): Promise<void> {
  const id = ctx.params.id ?? '';
  if (ctx.query.get('detachKeys')) throw unsupportedOption('detachKeys');
  const info = await about('container', id, () => ctx.backends.containers.inspect(id, { signal: ctx.signal }));
  if (info.state.running) return sendEmpty(ctx, 304);
  await ctx.backends.containers.start(info.id, { signal: ctx.signal });
  sendEmpty(ctx, 204);
}

function stopOptions(ctx: Ctx): { timeout?: number } {
  if (ctx.query.get('signal')) throw unsupportedOption('signal', 'stop with another signal than the container’s');
  const t = intParam(ctx.query, 't') ?? intParam(ctx.query, 'timeout');
  return t === undefined ? {} : { timeout: t };
}

async function stop(ctx: Ctx): Promise<void> {
  const id = ctx.params.id ?? '';
  const opts = stopOptions(ctx);
  const info = await about('container', id, () => ctx.backends.containers.inspect(id, { signal: ctx.signal }));
  if (!info.state.running) return sendEmpty(ctx, 304);
  await ctx.backends.containers.stop(info.id, opts);
  sendEmpty(ctx, 204);
}

async function restart(ctx: Ctx): Promise<void> {
  const id = ctx.params.id ?? '';
  const opts = stopOptions(ctx);
  const { containers } = ctx.backends;
  const info = await about('container', id, () => containers.inspect(id, { signal: ctx.signal }));
  if (has(containers, 'restart')) await method(containers, 'restart', 'restart')(info.id, opts);
  else {
    await containers.stop(info.id, opts);
    await containers.start(info.id);
  }
  sendEmpty(ctx, 204);
}

async function kill(ctx: Ctx): Promise<void> {
  const id = ctx.params.id ?? '';
  const info = await about('container', id, () => ctx.backends.containers.inspect(id, { signal: ctx.signal }));
  try {
    await ctx.backends.containers.kill(info.id, ctx.query.get('signal') || 'SIGKILL', { signal: ctx.signal });
  } catch (err) {
    if (isFailedPrecondition(err) && !info.state.running) {
      throw failedPrecondition(`Cannot kill container: ${id}: Container ${info.id} is not running`);
    }
    throw err;
  }
  sendEmpty(ctx, 204);
}

const CONDITIONS: WaitCondition[] = ['not-running', 'next-exit', 'removed'];

async function wait(ctx: Ctx): Promise<void> {
  const id = ctx.params.id ?? '';
  const condition = (ctx.query.get('condition') || 'not-running') as WaitCondition;
  if (!CONDITIONS.includes(condition)) throw invalidArgument(`invalid condition: "${condition}"`);
  // The wait is registered at the call; only then do the headers go out, so a
  // client that starts the container after seeing them misses nothing.
  const waiting = ctx.backends.containers.wait(id, { condition, signal: ctx.signal });
  const early = await Promise.race([
    waiting.then(
      (s) => ({ s }),
      (e: unknown) => ({ e }),
    ),
    new Promise<undefined>((r) => setImmediate(() => r(undefined))),
  ]);
  if (early && 'e' in early) throw await about('container', id, () => Promise.reject(early.e)).catch((e: unknown) => e);
  const res = response(ctx);
  res.writeHead(200, { 'Content-Type': 'application/json' });
  res.flushHeaders();
  let status: ExitStatus;
  try {
    status = early && 's' in early ? early.s : await waiting;
  } catch (err) {
    res.end(`${JSON.stringify({ StatusCode: -1, Error: { Message: (err as Error).message } })}\n`);
    return;
  }
  res.end(
    `${JSON.stringify({ StatusCode: status.exitCode, Error: status.error ? { Message: status.error } : null })}\n`,
  );
}

async function remove(ctx: Ctx): Promise<void> {
  const id = ctx.params.id ?? '';
  if (boolParam(ctx.query, 'link')) throw unsupportedOption('link');
  await about('container', id, () =>
    ctx.backends.containers.remove(id, {
      force: boolParam(ctx.query, 'force'),
      volumes: boolParam(ctx.query, 'v'),
      signal: ctx.signal,
    }),
  );
  sendEmpty(ctx, 204);
}

async function prune(ctx: Ctx): Promise<void> {
  const filters = filtersParam(ctx.query);
  checkFilterKeys(filters, ['label', 'label!', 'until']);
  const until = filters.get('until')?.[0];
  const untilSec = until === undefined ? undefined : /^\d+$/.test(until) ? Number(until) : Date.parse(until) / 1000;
  if (untilSec !== undefined && Number.isNaN(untilSec)) throw invalidArgument(`invalid until filter: ${until}`);
  const { containers } = ctx.backends;
  const all = await containers.list({ all: true, signal: ctx.signal });
  const deleted: string[] = [];
  for (const c of all) {
    if (c.state === 'running' || c.state === 'paused' || c.state === 'restarting') continue;
    if (!(filters.get('label') ?? []).every((l) => labelMatches(c.labels, l))) continue;
    if ((filters.get('label!') ?? []).some((l) => labelMatches(c.labels, l))) continue;
    if (untilSec !== undefined && unixSeconds(c.created) >= untilSec) continue;
    try {
      await containers.remove(c.id, { signal: ctx.signal });
      deleted.push(c.id);
    } catch (err) {
      ctx.logger(`docker api: prune ${c.id}: ${(err as Error).message}`);
    }
  }
  sendJson(ctx, 200, { ContainersDeleted: deleted, SpaceReclaimed: 0 });
}

export const containerRoutes: Route[] = [
  route('GET', '/containers/json', list),
  route('POST', '/containers/create', create),
  route('POST', '/containers/prune', prune),
  route('GET', '/containers/:id/json', inspect),
  route('POST', '/containers/:id/start', start),
  route('POST', '/containers/:id/stop', stop),
  route('POST', '/containers/:id/restart', restart),
  route('POST', '/containers/:id/kill', kill),
  route('POST', '/containers/:id/wait', wait),
  route('DELETE', '/containers/:id', remove),
];
