/**
 * The Compose Specification's merge rules for `-f a -f b` and `extends`:
 * mappings merge key by key (the later file wins), `command`, `entrypoint`
 * and `healthcheck.test` are replaced, `ports` are appended without
 * duplicates, `volumes` merge by mount target, `secrets`/`configs` by
 * target, other sequences are appended without duplicates.
 */
import type { ServiceVolumeConfig } from '../model.js';
import type { RawService } from './service.js';

type Any = Record<string, unknown>;

const REPLACED = new Set(['command', 'entrypoint', 'test', 'profiles']);

function isObj(v: unknown): v is Any {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function unique<T>(items: T[], key: (t: T) => string): T[] {
  const seen = new Map<string, T>();
  for (const t of items) {
    const k = key(t);
    seen.delete(k); // a later entry takes the place (and the position) of an earlier one
    seen.set(k, t);
  }
  return [...seen.values()];
}

function mergeList(key: string, a: unknown[], b: unknown[]): unknown[] {
  switch (key) {
    case 'volumes':
      return unique([...(a as ServiceVolumeConfig[]), ...(b as ServiceVolumeConfig[])], (v) => v.target);
    case 'secrets':
    case 'configs':
      return unique(
        [...(a as { source: string; target?: string }[]), ...(b as { source: string; target?: string }[])],
        (v) => v.target ?? v.source,
      );
    case 'env_file':
      return [...a, ...b];
    default:
      return unique([...a, ...b], (v) => JSON.stringify(v));
  }
}

/** Merges `over` onto `base` (neither is changed). */
export function mergeValue(key: string, base: unknown, over: unknown): unknown {
  if (over === undefined) return base;
  if (base === undefined || over === null || REPLACED.has(key)) return over;
  if (Array.isArray(base) && Array.isArray(over)) return mergeList(key, base, over);
  if (isObj(base) && isObj(over)) {
    const out: Any = { ...base };
    for (const [k, v] of Object.entries(over)) out[k] = mergeValue(k, base[k], v);
    return out;
  }
  return over;
}

/** One service defined by two files (or by `extends`): `over` merged onto `base`, named as `over`. */
export function mergeServices(base: RawService, over: RawService): RawService {
  const out = mergeValue('', base, over) as RawService;
  out.name = over.name;
  return out;
}
