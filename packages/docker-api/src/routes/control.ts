/**
 * Container control beyond start/stop: pause, rename, update, top, stats,
 * changes, export, resize. Each maps onto a ContainerService method; while
 * the container layer lacks one, its endpoint answers 501 naming it.
 */
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { type ContainerStats, type Resources, invalidArgument, isCancelled } from '@tscr/api';
import { about } from '../errors.js';
import { type Ctx, boolParam, intParam, readJsonObject, sendEmpty, sendJson, startStream } from '../http.js';
import { need } from '../optional.js';
import { containerId } from './lookup.js';
import { type Route, route } from './route.js';

async function pause(ctx: Ctx, unpause: boolean): Promise<void> {
  const { containers } = ctx.backends;
  need(containers, unpause ? 'unpause' : 'pause', `POST /containers/{id}/${unpause ? 'unpause' : 'pause'}`);
  const id = await containerId(ctx);
  await (unpause ? containers.unpause(id, { signal: ctx.signal }) : containers.pause(id, { signal: ctx.signal }));
  sendEmpty(ctx, 204);
}

async function rename(ctx: Ctx): Promise<void> {
  const name = ctx.query.get('name');
  if (!name) throw invalidArgument('new name is required (name)');
  const id = await containerId(ctx);
  need(ctx.backends.containers, 'rename', 'POST /containers/{id}/rename');
  await ctx.backends.containers.rename(id, name.replace(/^\//, ''), { signal: ctx.signal });
  sendEmpty(ctx, 204);
}

const UPDATE_FIELDS: Record<string, string> = {
  Memory: 'memory',
  MemorySwap: 'memorySwap',
  MemoryReservation: 'memoryReservation',
  NanoCpus: 'nanoCpus',
  CpuShares: 'cpuShares',
  CpuPeriod: 'cpuPeriod',
  CpuQuota: 'cpuQuota',
  CpusetCpus: 'cpusetCpus',
  CpusetMems: 'cpusetMems',
  PidsLimit: 'pidsLimit',
  BlkioWeight: 'blkioWeight',
};

async function update(ctx: Ctx): Promise<void> {
  const body = await readJsonObject(ctx);
  const resources: Resources = {};
  for (const [key, value] of Object.entries(body)) {
    if (value === null || value === 0 || value === '') continue;
    const field = UPDATE_FIELDS[key];
    if (key === 'RestartPolicy') continue;
    if (!field) throw invalidArgument(`unsupported option ${key} in container update`);
    (resources as Record<string, unknown>)[field] = value;
  }
  const id = await containerId(ctx);
  need(ctx.backends.containers, 'update', 'POST /containers/{id}/update');
  const { warnings } = await ctx.backends.containers.update(id, resources, { signal: ctx.signal });
  sendJson(ctx, 200, { Warnings: warnings });
}

async function top(ctx: Ctx): Promise<void> {
  need(ctx.backends.containers, 'top', 'GET /containers/{id}/top');
  const psArgs = ctx.query.get('ps_args');
  const id = await containerId(ctx);
  const t = await ctx.backends.containers.top(id, {
    signal: ctx.signal,
    ...(psArgs ? { psArgs: psArgs.split(/\s+/).filter(Boolean) } : {}),
  });
  sendJson(ctx, 200, { Titles: t.titles, Processes: t.processes });
}

/** The host's total CPU time in nanoseconds, from /proc/stat (what dockerd reports as system_cpu_usage). */
function systemCpuNs(): number {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
  const ticks = line
    .split(/\s+/)
    .slice(1, 8)
    .reduce((a, b) => a + (Number(b) || 0), 0);
  return ticks * 1e7;
}

/** One stats sample in dockerd's shape; `prev` fills `precpu_stats`. */
export function statsJson(s: ContainerStats, prev: { cpu: number; system: number } | undefined, ncpu: number) {
  const system = systemCpuNs();
  return {
    read: s.read,
    preread: '0001-01-01T00:00:00Z',
    id: s.id,
    name: `/${s.name}`,
    pids_stats: { current: s.pids },
    num_procs: 0,
    blkio_stats: {
      io_service_bytes_recursive: [
        { major: 0, minor: 0, op: 'read', value: s.blockReadBytes },
        { major: 0, minor: 0, op: 'write', value: s.blockWriteBytes },
      ],
    },
    cpu_stats: {
      cpu_usage: { total_usage: s.cpuTotalNs, usage_in_kernelmode: 0, usage_in_usermode: 0 },
      system_cpu_usage: system,
      online_cpus: ncpu,
      throttling_data: { periods: 0, throttled_periods: 0, throttled_time: 0 },
    },
    precpu_stats: {
      cpu_usage: { total_usage: prev?.cpu ?? 0, usage_in_kernelmode: 0, usage_in_usermode: 0 },
      system_cpu_usage: prev?.system ?? 0,
      online_cpus: ncpu,
      throttling_data: { periods: 0, throttled_periods: 0, throttled_time: 0 },
    },
    memory_stats: { usage: s.memoryUsage, limit: s.memoryLimit, stats: {} },
    networks: { eth0: { rx_bytes: s.netRxBytes, tx_bytes: s.netTxBytes, rx_packets: 0, tx_packets: 0 } },
  };
}

async function stats(ctx: Ctx): Promise<void> {
  const stream = boolParam(ctx.query, 'stream', true) && !boolParam(ctx.query, 'one-shot');
  const id = await containerId(ctx);
  need(ctx.backends.containers, 'stats', 'GET /containers/{id}/stats');
  const ncpu = cpus().length;
  const samples = ctx.backends.containers.stats(id, { stream, signal: ctx.signal });
  const it = samples[Symbol.asyncIterator]();
  const first = await it.next();
  const write = startStream(ctx, 'application/json');
  let prev: { cpu: number; system: number } | undefined;
  try {
    for (let r = first; !r.done; r = await it.next()) {
      const json = statsJson(r.value, prev, ncpu);
      prev = { cpu: r.value.cpuTotalNs, system: json.cpu_stats.system_cpu_usage };
      if (!(await write(`${JSON.stringify(json)}\n`)) || !stream) break;
    }
  } catch (err) {
    if (!isCancelled(err)) ctx.logger(`docker api: stats ${id}: ${(err as Error).message}`);
  } finally {
    void it.return?.();
    ctx.res?.end();
  }
}

const CHANGE_KIND: Record<string, number> = { C: 0, A: 1, D: 2 };

async function changes(ctx: Ctx): Promise<void> {
  const id = await containerId(ctx);
  need(ctx.backends.containers, 'changes', 'GET /containers/{id}/changes');
  const list = await ctx.backends.containers.changes(id, { signal: ctx.signal });
  sendJson(
    ctx,
    200,
    list.map((c) => ({ Path: c.path, Kind: CHANGE_KIND[c.kind] ?? 0 })),
  );
}

async function exportFs(ctx: Ctx): Promise<void> {
  const id = await containerId(ctx);
  need(ctx.backends.containers, 'export', 'GET /containers/{id}/export');
  const tar = ctx.backends.containers.export(id, { signal: ctx.signal });
  const it = tar[Symbol.asyncIterator]();
  const first = await it.next();
  const write = startStream(ctx, 'application/x-tar');
  try {
    for (let r = first; !r.done; r = await it.next()) if (!(await write(r.value))) break;
  } finally {
    void it.return?.();
    ctx.res?.end();
  }
}

async function resize(ctx: Ctx): Promise<void> {
  const h = intParam(ctx.query, 'h');
  const w = intParam(ctx.query, 'w');
  if (h === undefined || w === undefined) throw invalidArgument('resize needs h and w');
  const id = ctx.params.id ?? '';
  const info = await about('container', id, () => ctx.backends.containers.inspect(id, { signal: ctx.signal }));
  need(ctx.backends.containers, 'resize', 'POST /containers/{id}/resize');
  await ctx.backends.containers.resize(info.id, { width: w, height: h }, { signal: ctx.signal });
  sendEmpty(ctx, 200);
}

export const controlRoutes: Route[] = [
  route('POST', '/containers/:id/pause', (ctx) => pause(ctx, false)),
  route('POST', '/containers/:id/unpause', (ctx) => pause(ctx, true)),
  route('POST', '/containers/:id/rename', rename),
  route('POST', '/containers/:id/update', update),
  route('GET', '/containers/:id/top', top),
  route('GET', '/containers/:id/stats', stats),
  route('GET', '/containers/:id/changes', changes),
  route('GET', '/containers/:id/export', exportFs),
  route('POST', '/containers/:id/resize', resize),
];
