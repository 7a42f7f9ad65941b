/** `_ping` lives in the server; here: version, info, events, system/df, auth. */
import { hostname } from 'node:os';
import { invalidArgument, isCancelled, type TscrEvent } from '@tscr/api';
import { containerSummaryJson } from '../convert/containers.js';
import { imageSummaryJson } from '../convert/images.js';
import { eventLine, infoJson, versionJson } from '../convert/system.js';
import { volumeJson } from '../convert/volumes.js';
import { type Ctx, checkFilterKeys, filtersParam, readJsonObject, sendJson, startStream } from '../http.js';
import { MAX_API_VERSION, MIN_API_VERSION } from '../versions.js';
import { type Route, route } from './route.js';

let eventListeners = 0;

async function version(ctx: Ctx): Promise<void> {
  const v = await ctx.backends.system.version({ signal: ctx.signal });
  sendJson(ctx, 200, versionJson(v, MAX_API_VERSION, MIN_API_VERSION));
}

async function info(ctx: Ctx): Promise<void> {
  const [i, networks] = await Promise.all([
    ctx.backends.system.info({ signal: ctx.signal }),
    ctx.backends.networks.list({ signal: ctx.signal }),
  ]);
  const drivers = [...new Set(networks.map((n) => n.driver))];
  sendJson(ctx, 200, infoJson(i, { id: `tscr-${hostname()}`, eventListeners, networks: drivers }));
}

/** `since`/`until`: Unix seconds (with a fraction) or RFC 3339; in seconds. */
export function parseEventTime(value: string | null, name: string): number | undefined {
  if (value === null || value === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(value)) return Number(value);
  const t = Date.parse(value);
  if (Number.isNaN(t)) throw invalidArgument(`invalid value for ${name}: ${JSON.stringify(value)}`);
  return t / 1000;
}

const EVENT_FILTERS = ['type', 'event', 'container', 'image', 'label', 'volume', 'network', 'daemon', 'scope'];

/** Docker's event filters: keys AND, values of one key OR. */
export function eventMatches(e: TscrEvent, filters: Map<string, string[]>): boolean {
  const any = (key: string, pred: (v: string) => boolean) => {
    const values = filters.get(key);
    return !values || values.length === 0 || values.some(pred);
  };
  const name = e.attributes.name ?? '';
  const named = (v: string) => e.id === v || name === v || (v.length >= 4 && e.id.startsWith(v));
  return (
    any('type', (v) => e.type === v) &&
    any('event', (v) => e.action === v || e.action.split(':')[0] === v) &&
    any('container', (v) => e.type === 'container' && named(v)) &&
    any('image', (v) => e.attributes.image === v || (e.type === 'image' && named(v))) &&
    any('volume', (v) => e.type === 'volume' && named(v)) &&
    any('network', (v) => e.type === 'network' && named(v)) &&
    any('daemon', () => e.type === 'daemon') &&
    any('scope', (v) => v === 'local') &&
    any('label', (v) => {
      const eq = v.indexOf('=');
      return eq < 0 ? v in e.attributes : e.attributes[v.slice(0, eq)] === v.slice(eq + 1);
    })
  );
}

async function events(ctx: Ctx): Promise<void> {
  const filters = filtersParam(ctx.query);
  checkFilterKeys(filters, EVENT_FILTERS);
  const since = parseEventTime(ctx.query.get('since'), 'since');
  const until = parseEventTime(ctx.query.get('until'), 'until');
  const now = Date.now() / 1000;
  const abort = new AbortController();
  const stop = () => abort.abort();
  ctx.signal.addEventListener('abort', stop, { once: true });
  const types = filters.get('type');
  let subscribed!: () => void;
  const ready = new Promise<void>((r) => (subscribed = r));
  const stream = ctx.backends.system.events({
    signal: abort.signal,
    ...(types?.length ? { types } : {}),
    // The daemon's event bus replays its recent history from `since`.
    ...(since !== undefined ? { since: String(since) } : {}),
    ...(until !== undefined ? { until: String(until) } : {}),
    onSubscribed: () => subscribed(),
  });
  const iterator = stream[Symbol.asyncIterator]();
  const first = iterator.next();
  first.catch(() => undefined);
  await Promise.race([ready, first]);
  const write = startStream(ctx, 'application/json');
  const res = ctx.res;
  let timer: NodeJS.Timeout | undefined;
  // A past `until` ends the stream after the replay (the backend's doing); a future one ends it then.
  if (until !== undefined && until > now) timer = setTimeout(stop, (until - now) * 1000);
  eventListeners++;
  let failed = false;
  try {
    let next = first;
    for (;;) {
      const r = await next;
      if (r.done) break;
      const e = r.value;
      if (until !== undefined && Number(BigInt(e.timeNano) / 1_000_000n) / 1000 > until) break;
      if (eventMatches(e, filters) && !(await write(eventLine(e)))) break;
      next = iterator.next();
    }
  } catch (err) {
    if (!isCancelled(err) && !abort.signal.aborted) {
      // A reader dropped for falling behind (ResourceExhausted) or a failed bus: the stream is cut, not ended
      // cleanly, so the client sees an error (the Docker CLI: "unexpected EOF") rather than a quiet end.
      ctx.logger(`docker api: events: ${(err as Error).message}`);
      failed = true;
    }
  } finally {
    eventListeners--;
    clearTimeout(timer);
    ctx.signal.removeEventListener('abort', stop);
    abort.abort();
    void iterator.return?.();
    if (failed) res?.destroy();
    else res?.end();
  }
}

async function systemDf(ctx: Ctx): Promise<void> {
  const { containers, images, volumes } = ctx.backends;
  const [cs, is, vs] = await Promise.all([
    containers.list({ all: true, signal: ctx.signal }),
    images.list({ signal: ctx.signal }),
    volumes.list({ signal: ctx.signal }),
  ]);
  const layers = new Map<string, number>();
  for (const i of is) layers.set(i.id, i.size);
  sendJson(ctx, 200, {
    LayersSize: [...layers.values()].reduce((a, b) => a + b, 0),
    Images: is.map((i) => ({
      ...imageSummaryJson(i, ctx.version),
      Containers: cs.filter((c) => c.imageId === i.id).length,
    })),
    Containers: cs.map((c) => ({ ...containerSummaryJson(c), SizeRw: 0, SizeRootFs: 0 })),
    Volumes: vs.map((v) => ({ ...volumeJson(v), UsageData: { Size: -1, RefCount: v.usedBy.length } })),
    BuildCache: [],
  });
}

async function auth(ctx: Ctx): Promise<void> {
  const body = await readJsonObject(ctx);
  const registry = String(body.serveraddress ?? '') || 'docker.io';
  const res = await ctx.backends.registry.login(
    registry,
    {
      ...(typeof body.username === 'string' ? { username: body.username } : {}),
      ...(typeof body.password === 'string' ? { password: body.password } : {}),
      ...(typeof body.identitytoken === 'string' && body.identitytoken ? { identityToken: body.identitytoken } : {}),
    },
    { signal: ctx.signal },
  );
  sendJson(ctx, 200, { Status: res.status, IdentityToken: res.identityToken ?? '' });
}

export const systemRoutes: Route[] = [
  route('GET', '/version', version),
  route('GET', '/info', info),
  route('GET', '/events', events),
  route('GET', '/system/df', systemDf),
  route('POST', '/auth', auth),
];
