/**
 * The legacy builder endpoint, `POST /build`: the tar context is the body,
 * the output NDJSON `stream` lines and `aux.ID`, over the daemon's
 * BuilderService.
 */
import { invalidArgument, isCancelled } from '@tscr/api';
import type { BuildEvent, BuildOptions } from '@tscr/builder';
import { notImplementedEndpoint, unsupportedOption } from '../errors.js';
import { type Ctx, boolParam, response, startStream } from '../http.js';
import { type Route, notYet, route } from './route.js';

function jsonParam(q: URLSearchParams, name: string): Record<string, string> | undefined {
  const raw = q.get(name);
  if (!raw) return undefined;
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch {
    throw invalidArgument(`invalid ${name}: not JSON`);
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw invalidArgument(`invalid ${name}: want an object`);
  const out: Record<string, string> = {};
  for (const [k, x] of Object.entries(v)) if (x !== null) out[k] = String(x);
  return out;
}

/** Query parameters that change a build and that the builder does not do; neutral values pass. */
const REFUSED: [string, (v: string) => boolean][] = [
  ['remote', (v) => v !== ''],
  ['pull', (v) => v !== '' && v !== '0' && v !== 'false' && v !== 'False'],
  ['squash', (v) => v === '1' || v === 'true'],
  ['extrahosts', (v) => v !== '' && v !== '[]'],
  ['cachefrom', (v) => v !== '' && v !== '[]' && v !== 'null'],
  ['memory', (v) => v !== '' && v !== '0'],
  ['memswap', (v) => v !== '' && v !== '0'],
  ['cpushares', (v) => v !== '' && v !== '0'],
  ['cpusetcpus', (v) => v !== ''],
  ['cpuperiod', (v) => v !== '' && v !== '0'],
  ['cpuquota', (v) => v !== '' && v !== '0'],
  ['shmsize', (v) => v !== '' && v !== '0'],
  ['platform', (v) => v !== '' && v !== 'linux' && !v.startsWith('linux/')],
  ['outputs', (v) => v !== '' && v !== '[]'],
  ['version', (v) => v !== '' && v !== '1'],
];

/** The build request's options. @throws InvalidArgument for options the builder does not honour. */
export function buildOptions(q: URLSearchParams): BuildOptions {
  for (const [name, refused] of REFUSED) {
    const v = q.get(name);
    if (v !== null && refused(v)) throw unsupportedOption(name, v);
  }
  if (q.get('rm') !== null && !boolParam(q, 'rm', true))
    throw unsupportedOption('rm', 'tscr always removes intermediate containers');
  const opts: BuildOptions = {};
  const tags = q.getAll('t').filter(Boolean);
  if (tags.length) opts.tags = tags;
  const dockerfile = q.get('dockerfile');
  if (dockerfile) opts.dockerfile = dockerfile;
  const buildArgs = jsonParam(q, 'buildargs');
  if (buildArgs && Object.keys(buildArgs).length) opts.buildArgs = buildArgs;
  const labels = jsonParam(q, 'labels');
  if (labels && Object.keys(labels).length) opts.labels = labels;
  const target = q.get('target');
  if (target) opts.target = target;
  if (boolParam(q, 'nocache')) opts.noCache = true;
  const network = q.get('networkmode');
  if (network === 'host' || network === 'none') opts.network = network;
  else if (network && network !== 'default') throw unsupportedOption('networkmode', network);
  return opts;
}

/** One builder event as dockerd's JSON lines (none for events it has no line for). */
export function buildLines(e: BuildEvent, quiet: boolean): string[] {
  const line = (v: unknown) => `${JSON.stringify(v)}\n`;
  switch (e.type) {
    case 'step':
      return quiet ? [] : [line({ stream: `Step ${e.index}/${e.total} : ${e.instruction}\n` })];
    case 'output':
      return quiet ? [] : [line({ stream: Buffer.from(e.data).toString('utf8') })];
    case 'stepDone': {
      const out: string[] = [];
      if (quiet) return out;
      if (e.cached) out.push(line({ stream: ' ---> Using cache\n' }));
      if (e.imageId) out.push(line({ stream: ` ---> ${e.imageId.replace(/^sha256:/, '').slice(0, 12)}\n` }));
      return out;
    }
    case 'message':
      return [line({ stream: `${e.text}\n` })];
    case 'result': {
      const out = [line({ aux: { ID: e.imageId } })];
      if (quiet) return out;
      out.push(line({ stream: `Successfully built ${e.imageId.replace(/^sha256:/, '').slice(0, 12)}\n` }));
      for (const t of e.tags) out.push(line({ stream: `Successfully tagged ${t}\n` }));
      return out;
    }
  }
}

async function build(ctx: Ctx): Promise<void> {
  const builder = ctx.backends.builder;
  if (!builder) throw notImplementedEndpoint('POST /build (no builder in this daemon)');
  const opts = buildOptions(ctx.query);
  const quiet = boolParam(ctx.query, 'q');
  const events = builder.build(ctx.req as AsyncIterable<Uint8Array>, { ...opts, signal: ctx.signal });
  const it = events[Symbol.asyncIterator]();
  const first = await it.next();
  const write = startStream(ctx, 'application/json');
  try {
    for (let r = first; !r.done; r = await it.next()) {
      for (const l of buildLines(r.value, quiet)) if (!(await write(l))) return;
    }
  } catch (err) {
    if (isCancelled(err) && ctx.signal.aborted) return;
    const message = (err as Error).message;
    await write(`${JSON.stringify({ errorDetail: { message }, error: message })}\n`);
  } finally {
    void it.return?.();
    response(ctx).end();
  }
}

export const buildRoutes: Route[] = [
  route('POST', '/build', build),
  notYet('POST', '/build/prune', 'POST /build/prune (the builder keeps no separate cache to prune)'),
];
