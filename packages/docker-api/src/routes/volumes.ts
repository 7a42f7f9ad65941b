/** Volumes: list, inspect, create, remove, prune. */
import { randomBytes } from 'node:crypto';
import { invalidArgument, isAlreadyExists } from '@tscr/api';
import type { VolumeFilters } from '@tscr/volume';
import { volumeJson } from '../convert/volumes.js';
import { about } from '../errors.js';
import { type Ctx, boolParam, checkFilterKeys, filtersParam, readJsonObject, sendEmpty, sendJson } from '../http.js';
import { type Route, route } from './route.js';

async function list(ctx: Ctx): Promise<void> {
  const f = filtersParam(ctx.query);
  checkFilterKeys(f, ['dangling', 'label', 'name', 'driver']);
  const filters: VolumeFilters = {};
  const dangling = f.get('dangling')?.[0];
  if (dangling !== undefined) filters.dangling = dangling === 'true' || dangling === '1';
  if (f.get('label')?.length) filters.label = f.get('label') ?? [];
  if (f.get('name')?.length) filters.name = f.get('name') ?? [];
  if (f.get('driver')?.length) filters.driver = f.get('driver') ?? [];
  const volumes = await ctx.backends.volumes.list({ filters, signal: ctx.signal });
  sendJson(ctx, 200, { Volumes: volumes.map(volumeJson), Warnings: [] });
}

async function inspect(ctx: Ctx): Promise<void> {
  const name = ctx.params.name ?? '';
  const v = await about('volume', name, () => ctx.backends.volumes.get(name, { signal: ctx.signal }));
  sendJson(ctx, 200, volumeJson(v));
}

function strings(v: unknown, what: string): Record<string, string> | undefined {
  if (v === null || v === undefined) return undefined;
  if (typeof v !== 'object' || Array.isArray(v)) throw invalidArgument(`${what} must be an object`);
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, String(x)]));
}

async function create(ctx: Ctx): Promise<void> {
  const body = await readJsonObject(ctx);
  for (const key of Object.keys(body)) {
    if (!['Name', 'Driver', 'DriverOpts', 'Labels'].includes(key) && body[key] !== null)
      throw invalidArgument(`unsupported option ${key} (not implemented by tscrd)`);
  }
  // dockerd names a volume created without a name with 64 random hex digits.
  const name = typeof body.Name === 'string' && body.Name ? body.Name : randomBytes(32).toString('hex');
  const labels = strings(body.Labels, 'Labels');
  const options = strings(body.DriverOpts, 'DriverOpts');
  const driver = typeof body.Driver === 'string' && body.Driver ? body.Driver : undefined;
  const v = await ctx.backends.volumes
    .create(name, {
      signal: ctx.signal,
      ...(driver ? { driver } : {}),
      ...(labels ? { labels } : {}),
      ...(options ? { options } : {}),
    })
    .catch(async (err: unknown) => {
      // As dockerd: creating a volume that exists (same driver) answers the existing one.
      if (!isAlreadyExists(err)) throw err;
      const existing = await ctx.backends.volumes.get(name, { signal: ctx.signal });
      if (driver && existing.driver !== driver) throw err;
      return existing;
    });
  sendJson(ctx, 201, volumeJson(v));
}

async function remove(ctx: Ctx): Promise<void> {
  const name = ctx.params.name ?? '';
  await about('volume', name, () =>
    ctx.backends.volumes.remove(name, { force: boolParam(ctx.query, 'force'), signal: ctx.signal }),
  );
  sendEmpty(ctx, 204);
}

async function prune(ctx: Ctx): Promise<void> {
  const f = filtersParam(ctx.query);
  checkFilterKeys(f, ['label', 'all']);
  const all = f.get('all')?.[0];
  // Before 1.42, prune removed named volumes too.
  const pruneAll = all !== undefined ? all === 'true' || all === '1' : ctx.version < 42;
  const r = await ctx.backends.volumes.prune({
    all: pruneAll,
    ...(f.get('label')?.length ? { label: f.get('label') ?? [] } : {}),
    signal: ctx.signal,
  });
  sendJson(ctx, 200, { VolumesDeleted: r.volumesDeleted, SpaceReclaimed: r.spaceReclaimed });
}

export const volumeRoutes: Route[] = [
  route('GET', '/volumes', list),
  route('POST', '/volumes/create', create),
  route('POST', '/volumes/prune', prune),
  route('GET', '/volumes/:name', inspect),
  route('DELETE', '/volumes/:name', remove),
];
