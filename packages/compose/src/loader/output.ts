/**
 * The model as `docker compose config` prints it: top-level keys in
 * Compose's order, a service's keys sorted (after `profiles`), map entries
 * sorted, long syntaxes with their fields in Compose's order; YAML or JSON.
 */
import { stringify } from 'yaml';
import type { ComposeModel, ServiceConfig } from '../model.js';

type Any = Record<string, unknown>;

function sortKeys(o: Any | undefined): Any | undefined {
  if (!o) return o;
  const out: Any = {};
  for (const k of Object.keys(o).sort()) out[k] = o[k];
  return out;
}

function ordered(o: Any, order: readonly string[]): Any {
  const out: Any = {};
  for (const k of order) if (o[k] !== undefined) out[k] = o[k];
  for (const k of Object.keys(o)) if (!(k in out) && o[k] !== undefined) out[k] = o[k];
  return out;
}

const MAPS = ['environment', 'labels', 'sysctls', 'depends_on', 'networks', 'ulimits'] as const;

function service(s: ServiceConfig): Any {
  const { name: _n, ...rest } = s;
  const o: Any = { ...rest };
  for (const k of MAPS) if (o[k]) o[k] = sortKeys(o[k] as Any);
  if (s.depends_on) {
    o.depends_on = Object.fromEntries(
      Object.entries(o.depends_on as Any).map(([k, d]) => [k, ordered(d as Any, ['condition', 'restart', 'required'])]),
    );
  }
  if (s.build)
    o.build = ordered({ ...s.build, args: sortKeys(s.build.args), labels: sortKeys(s.build.labels) }, [
      'context',
      'dockerfile',
      'dockerfile_inline',
      'args',
      'labels',
      'no_cache',
      'pull',
      'target',
    ]);
  if (s.ports) o.ports = s.ports.map((p) => ordered({ ...p }, ['mode', 'host_ip', 'target', 'published', 'protocol']));
  if (s.volumes)
    o.volumes = s.volumes.map((v) =>
      ordered({ ...v }, ['type', 'source', 'target', 'read_only', 'bind', 'volume', 'tmpfs']),
    );
  if (s.healthcheck)
    o.healthcheck = ordered({ ...s.healthcheck }, [
      'test',
      'timeout',
      'interval',
      'retries',
      'start_period',
      'disable',
    ]);
  if (s.logging) o.logging = ordered({ ...s.logging, options: sortKeys(s.logging.options) }, ['driver', 'options']);
  const out: Any = {};
  if (o.profiles) out.profiles = o.profiles;
  for (const k of Object.keys(o).sort()) if (k !== 'profiles' && o[k] !== undefined) out[k] = o[k];
  return out;
}

/** The printable model: what `config` shows, as a plain object. */
export function configObject(m: ComposeModel, opts: { includeDisabled?: boolean } = {}): Any {
  const services = { ...m.services, ...(opts.includeDisabled ? m.disabled : {}) };
  const out: Any = { name: m.name, services: {} };
  for (const name of Object.keys(services).sort()) (out.services as Any)[name] = service(services[name]!);
  const top = (key: 'networks' | 'volumes' | 'secrets' | 'configs', order: string[]) => {
    const entries = Object.entries(m[key]).sort(([a], [b]) => a.localeCompare(b));
    if (!entries.length) return;
    out[key] = Object.fromEntries(
      entries.map(([k, v]) => [k, ordered({ ...v, labels: sortKeys((v as Any).labels as Any) }, order)]),
    );
  };
  top('networks', ['name', 'driver', 'driver_opts', 'ipam', 'external', 'internal', 'labels']);
  top('volumes', ['name', 'driver', 'driver_opts', 'external', 'labels']);
  top('secrets', ['name', 'file', 'environment']);
  top('configs', ['name', 'file', 'environment', 'content']);
  for (const k of Object.keys(m.extensions).sort()) out[k] = m.extensions[k];
  return out;
}

/** `docker compose config` output: YAML (default) or JSON (`--format json`). */
export function formatConfig(m: ComposeModel, format: 'yaml' | 'json' = 'yaml'): string {
  const o = configObject(m);
  if (format === 'json') return `${JSON.stringify(o, null, 4)}\n`;
  return stringify(o, { lineWidth: 0, indentSeq: true, nullStr: 'null', aliasDuplicateObjects: false });
}
