/** The top-level `networks`, `volumes`, `secrets` and `configs` of one file. */
import type { FileObjectConfig, NetworkConfig, VolumeConfig } from '../model.js';
import type { Reader } from './reader.js';

/** A top-level resource before the project name gives it its default name. */
export type Raw<T> = Omit<T, 'name'> & { name?: string };

function each<T>(
  r: Reader,
  v: unknown,
  key: string,
  read: (o: Record<string, unknown>, path: (string | number)[]) => T,
): Record<string, T> {
  const out: Record<string, T> = {};
  if (v === undefined || v === null) return out;
  for (const [name, x] of Object.entries(r.obj(v, [key]))) out[name] = read(r.obj(x ?? {}, [key, name]), [key, name]);
  return out;
}

export function readNetworks(r: Reader, v: unknown): Record<string, Raw<NetworkConfig>> {
  return each(r, v, 'networks', (o, p) => {
    r.keys(
      o,
      p,
      ['driver', 'driver_opts', 'internal', 'ipam', 'labels', 'external', 'name'],
      ['enable_ipv6', 'enable_ipv4', 'attachable'],
    );
    const n: Raw<NetworkConfig> = {};
    if (o.name !== undefined) n.name = r.str(o.name, [...p, 'name']);
    if (o.driver !== undefined) n.driver = r.str(o.driver, [...p, 'driver']);
    if (o.driver_opts !== undefined) n.driver_opts = r.strDict(o.driver_opts, [...p, 'driver_opts']);
    if (o.internal !== undefined) n.internal = r.bool(o.internal, [...p, 'internal']);
    if (o.labels !== undefined) n.labels = r.strDict(o.labels, [...p, 'labels']);
    if (o.external !== undefined) n.external = external(r, o.external, [...p, 'external'], n);
    if (o.ipam !== undefined) {
      const ip = r.obj(o.ipam, [...p, 'ipam']);
      r.keys(ip, [...p, 'ipam'], ['driver', 'config'], ['options']);
      n.ipam = {};
      if (ip.driver !== undefined) n.ipam.driver = r.str(ip.driver, [...p, 'ipam', 'driver']);
      if (n.ipam.driver !== undefined && n.ipam.driver !== 'default') throw r.unsupported([...p, 'ipam', 'driver']);
      if (ip.config !== undefined) {
        if (!Array.isArray(ip.config)) throw r.fail([...p, 'ipam', 'config'], 'must be a list');
        n.ipam.config = ip.config.map((c, i) => {
          const cp = [...p, 'ipam', 'config', i];
          const co = r.obj(c, cp);
          r.keys(co, cp, ['subnet', 'gateway', 'ip_range'], ['aux_addresses']);
          const out: { subnet?: string; gateway?: string; ip_range?: string } = {};
          for (const k of ['subnet', 'gateway', 'ip_range'] as const)
            if (co[k] !== undefined) out[k] = r.str(co[k], [...cp, k]);
          return out;
        });
        if (n.ipam.config.length > 1) throw r.fail([...p, 'ipam', 'config'], 'tscr networks take one address pool');
      }
    }
    return n;
  });
}

/** `external: true`, or the legacy `external: { name: x }`. */
function external(r: Reader, v: unknown, path: (string | number)[], into: { name?: string }): boolean {
  if (v !== null && typeof v === 'object') {
    const o = r.obj(v, path);
    r.keys(o, path, ['name']);
    if (o.name !== undefined) into.name = r.str(o.name, [...path, 'name']);
    return true;
  }
  return r.bool(v, path);
}

export function readVolumes(r: Reader, v: unknown): Record<string, Raw<VolumeConfig>> {
  return each(r, v, 'volumes', (o, p) => {
    r.keys(o, p, ['driver', 'driver_opts', 'labels', 'external', 'name']);
    const n: Raw<VolumeConfig> = {};
    if (o.name !== undefined) n.name = r.str(o.name, [...p, 'name']);
    if (o.driver !== undefined) n.driver = r.str(o.driver, [...p, 'driver']);
    if (o.driver_opts !== undefined) n.driver_opts = r.strDict(o.driver_opts, [...p, 'driver_opts']);
    if (o.labels !== undefined) n.labels = r.strDict(o.labels, [...p, 'labels']);
    if (o.external !== undefined) n.external = external(r, o.external, [...p, 'external'], n);
    return n;
  });
}

export function readFileObjects(
  r: Reader,
  v: unknown,
  key: 'secrets' | 'configs',
): Record<string, Raw<FileObjectConfig>> {
  return each(r, v, key, (o, p) => {
    r.keys(
      o,
      p,
      key === 'configs'
        ? ['file', 'environment', 'content', 'external', 'name']
        : ['file', 'environment', 'external', 'name'],
      ['driver', 'driver_opts', 'template_driver', 'labels'],
    );
    const n: Raw<FileObjectConfig> = {};
    if (o.name !== undefined) n.name = r.str(o.name, [...p, 'name']);
    if (o.file !== undefined) n.file = r.path(r.str(o.file, [...p, 'file']));
    if (o.environment !== undefined) n.environment = r.str(o.environment, [...p, 'environment']);
    if (o.content !== undefined) n.content = r.str(o.content, [...p, 'content']);
    if (o.external !== undefined) n.external = r.bool(o.external, [...p, 'external']);
    const sources = [n.file, n.environment, n.content, n.external || undefined].filter((x) => x !== undefined);
    if (sources.length !== 1)
      throw r.fail(p, `must have exactly one of file, environment${key === 'configs' ? ', content' : ''} or external`);
    if (n.external) throw r.unsupported([...p, 'external']);
    return n;
  });
}
