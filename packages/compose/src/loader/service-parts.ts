/** The nested parts of a service: build, healthcheck, deploy, ulimits, secrets/configs. */
import type { BuildConfig, DeployConfig, HealthcheckConfig, ServiceConfig, ServiceFileRef } from '../model.js';
import type { Reader } from './reader.js';
import type { DocPath } from './source.js';
import { formatDuration, parseBytes, parseDuration } from './syntax.js';

export function readBuild(r: Reader, v: unknown, path: DocPath): BuildConfig {
  if (typeof v === 'string') return { context: r.path(v) };
  const o = r.obj(v, path);
  r.keys(
    o,
    path,
    ['context', 'dockerfile', 'dockerfile_inline', 'args', 'target', 'labels', 'no_cache', 'pull'],
    [
      'cache_from',
      'cache_to',
      'network',
      'shm_size',
      'extra_hosts',
      'ssh',
      'secrets',
      'tags',
      'platforms',
      'isolation',
      'privileged',
      'additional_contexts',
      'ulimits',
      'entitlements',
      'provenance',
      'sbom',
    ],
  );
  const b: BuildConfig = { context: r.path(o.context === undefined ? '.' : r.str(o.context, [...path, 'context'])) };
  if (o.dockerfile !== undefined) b.dockerfile = r.str(o.dockerfile, [...path, 'dockerfile']);
  if (o.dockerfile_inline !== undefined)
    b.dockerfile_inline = r.str(o.dockerfile_inline, [...path, 'dockerfile_inline']);
  if (b.dockerfile && b.dockerfile_inline)
    throw r.fail(path, 'dockerfile and dockerfile_inline are mutually exclusive');
  if (o.args !== undefined) b.args = r.dict(o.args, [...path, 'args']);
  if (o.target !== undefined) b.target = r.str(o.target, [...path, 'target']);
  if (o.labels !== undefined) b.labels = r.strDict(o.labels, [...path, 'labels']);
  if (o.no_cache !== undefined) b.no_cache = r.bool(o.no_cache, [...path, 'no_cache']);
  if (o.pull !== undefined) b.pull = r.bool(o.pull, [...path, 'pull']);
  // The builder pulls a base image only when it is missing; always pulling it is not available.
  if (b.pull) throw r.unsupported([...path, 'pull']);
  return b;
}

export function readHealthcheck(r: Reader, v: unknown, path: DocPath): HealthcheckConfig {
  const o = r.obj(v, path);
  r.keys(o, path, ['test', 'interval', 'timeout', 'retries', 'start_period', 'disable'], ['start_interval']);
  const h: HealthcheckConfig = {};
  if (o.test !== undefined) {
    h.test = typeof o.test === 'string' ? ['CMD-SHELL', o.test] : r.strList(o.test, [...path, 'test']);
    if (!['CMD', 'CMD-SHELL', 'NONE'].includes(h.test[0] ?? '')) {
      throw r.fail([...path, 'test'], 'a list must start with CMD, CMD-SHELL or NONE');
    }
  }
  for (const k of ['interval', 'timeout', 'start_period'] as const) {
    if (o[k] === undefined) continue;
    h[k] = formatDuration(r.parse([...path, k], () => parseDuration(o[k])));
  }
  if (o.retries !== undefined) h.retries = r.int(o.retries, [...path, 'retries']);
  if (o.disable !== undefined) h.disable = r.bool(o.disable, [...path, 'disable']);
  return h;
}

export function readDeploy(r: Reader, v: unknown, path: DocPath): DeployConfig {
  const o = r.obj(v, path);
  r.keys(
    o,
    path,
    ['replicas', 'resources'],
    ['mode', 'placement', 'update_config', 'rollback_config', 'restart_policy', 'labels', 'endpoint_mode'],
  );
  const d: DeployConfig = {};
  if (o.replicas !== undefined) d.replicas = r.int(o.replicas, [...path, 'replicas']);
  if (o.resources !== undefined) {
    const rp = [...path, 'resources'];
    const res = r.obj(o.resources, rp);
    r.keys(res, rp, ['limits', 'reservations']);
    d.resources = {};
    if (res.limits !== undefined) {
      const l = r.obj(res.limits, [...rp, 'limits']);
      r.keys(l, [...rp, 'limits'], ['cpus', 'memory', 'pids'], ['devices']);
      d.resources.limits = {};
      if (l.cpus !== undefined) d.resources.limits.cpus = cpus(r, l.cpus, [...rp, 'limits', 'cpus']);
      if (l.memory !== undefined)
        d.resources.limits.memory = r.parse([...rp, 'limits', 'memory'], () => parseBytes(l.memory));
      if (l.pids !== undefined) d.resources.limits.pids = r.int(l.pids, [...rp, 'limits', 'pids']);
    }
    if (res.reservations !== undefined) {
      const l = r.obj(res.reservations, [...rp, 'reservations']);
      r.keys(l, [...rp, 'reservations'], ['memory'], ['cpus', 'devices', 'generic_resources']);
      d.resources.reservations = {};
      if (l.memory !== undefined)
        d.resources.reservations.memory = r.parse([...rp, 'reservations', 'memory'], () => parseBytes(l.memory));
    }
  }
  return d;
}

function cpus(r: Reader, v: unknown, path: DocPath): string {
  const s = r.str(v, path);
  if (!/^\d+(\.\d+)?$/.test(s) || Number(s) <= 0) throw r.fail(path, `invalid number of CPUs ${JSON.stringify(s)}`);
  return s;
}

export function readUlimits(r: Reader, v: unknown, path: DocPath): NonNullable<ServiceConfig['ulimits']> {
  const out: NonNullable<ServiceConfig['ulimits']> = {};
  for (const [name, x] of Object.entries(r.obj(v, path))) {
    const p = [...path, name];
    if (typeof x === 'number' || typeof x === 'string') {
      out[name] = r.int(x, p);
      continue;
    }
    const o = r.obj(x, p);
    r.keys(o, p, ['soft', 'hard']);
    out[name] = { soft: r.int(o.soft, [...p, 'soft']), hard: r.int(o.hard, [...p, 'hard']) };
  }
  return out;
}

export function readFileRefs(r: Reader, v: unknown, path: DocPath): ServiceFileRef[] {
  if (!Array.isArray(v)) throw r.fail(path, 'must be a list');
  return v.map((item, i) => {
    const p = [...path, i];
    if (typeof item === 'string') return { source: item };
    const o = r.obj(item, p);
    r.keys(o, p, ['source', 'target'], ['uid', 'gid', 'mode']);
    const ref: ServiceFileRef = { source: r.str(o.source, [...p, 'source']) };
    if (o.target !== undefined) ref.target = r.str(o.target, [...p, 'target']);
    return ref;
  });
}
