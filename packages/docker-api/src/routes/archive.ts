/** `docker cp`: archive HEAD (stat), GET (download), PUT (upload), as tar streams. */
import { invalidArgument, type PathStat } from '@tscr/api';
import { unsupportedOption } from '../errors.js';
import { type Ctx, boolParam, response, sendEmpty, writeChunk } from '../http.js';
import { need } from '../optional.js';
import { containerId } from './lookup.js';
import { type Route, route } from './route.js';

function pathParam(ctx: Ctx): string {
  const path = ctx.query.get('path');
  if (!path) throw invalidArgument('path is required');
  return path;
}

/** The `X-Docker-Container-Path-Stat` header: base64 JSON. */
export function statHeader(s: PathStat): string {
  return Buffer.from(
    JSON.stringify({ name: s.name, size: s.size, mode: s.mode, mtime: s.mtime, linkTarget: s.linkTarget }),
  ).toString('base64');
}

async function head(ctx: Ctx): Promise<void> {
  need(ctx.backends.containers, 'statPath', 'HEAD /containers/{id}/archive');
  const path = pathParam(ctx);
  const id = await containerId(ctx);
  const stat = await ctx.backends.containers.statPath(id, path, { signal: ctx.signal });
  const res = response(ctx);
  res.writeHead(200, { 'X-Docker-Container-Path-Stat': statHeader(stat), 'Content-Length': 0 });
  res.end();
}

async function get(ctx: Ctx): Promise<void> {
  need(ctx.backends.containers, 'getArchive', 'GET /containers/{id}/archive');
  const path = pathParam(ctx);
  const id = await containerId(ctx);
  const { stat, tar } = await ctx.backends.containers.getArchive(id, path, { signal: ctx.signal });
  const res = response(ctx);
  res.writeHead(200, { 'Content-Type': 'application/x-tar', 'X-Docker-Container-Path-Stat': statHeader(stat) });
  const it = tar[Symbol.asyncIterator]();
  try {
    for (let r = await it.next(); !r.done; r = await it.next()) if (!(await writeChunk(res, r.value))) break;
  } finally {
    void it.return?.();
    res.end();
  }
}

async function put(ctx: Ctx): Promise<void> {
  need(ctx.backends.containers, 'putArchive', 'PUT /containers/{id}/archive');
  const path = pathParam(ctx);
  if (boolParam(ctx.query, 'copyUIDGID')) throw unsupportedOption('copyUIDGID');
  const id = await containerId(ctx);
  await ctx.backends.containers.putArchive(id, path, ctx.req as AsyncIterable<Uint8Array>, {
    noOverwriteDirNonDir: boolParam(ctx.query, 'noOverwriteDirNonDir'),
    signal: ctx.signal,
  });
  sendEmpty(ctx, 200);
}

export const archiveRoutes: Route[] = [
  route('HEAD', '/containers/:id/archive', head),
  route('GET', '/containers/:id/archive', get),
  route('PUT', '/containers/:id/archive', put),
];
