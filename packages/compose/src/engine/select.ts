/** Which services an operation acts on, and in what order. */
import { notFound } from '@tscr/api';
import { dependencies } from '../loader/finalise.js';
import type { ComposeModel, ServiceConfig } from '../model.js';

/** A service by name, enabled or not. @throws NotFound. */
export function service(m: ComposeModel, name: string): ServiceConfig {
  const s = m.services[name] ?? m.disabled[name];
  if (!s) throw notFound(`no such service: ${name}`, { details: { service: name } });
  return s;
}

/**
 * The named services (all enabled ones when none is named) and, with
 * `withDeps`, everything they depend on, even when its profile is off.
 */
export function selectServices(m: ComposeModel, names: readonly string[] = [], withDeps = true): ServiceConfig[] {
  const out = new Map<string, ServiceConfig>();
  const add = (name: string, required: boolean) => {
    if (out.has(name)) return;
    const s = m.services[name] ?? m.disabled[name];
    if (!s) {
      if (required) throw notFound(`no such service: ${name}`, { details: { service: name } });
      return;
    }
    out.set(name, s);
    if (!withDeps) return;
    for (const d of dependencies(s)) add(d, s.depends_on?.[d]?.required ?? true);
  };
  for (const n of names.length ? names : Object.keys(m.services)) add(n, true);
  return [...out.values()];
}

/** Services in dependency order (dependencies first); the reverse is the order to stop them. */
export function dependencyOrder(services: ServiceConfig[]): ServiceConfig[] {
  const byName = new Map(services.map((s) => [s.name, s]));
  const out: ServiceConfig[] = [];
  const seen = new Set<string>();
  const visit = (s: ServiceConfig) => {
    if (seen.has(s.name)) return;
    seen.add(s.name);
    for (const d of dependencies(s)) {
      const dep = byName.get(d);
      if (dep) visit(dep);
    }
    out.push(s);
  };
  for (const s of [...services].sort((a, b) => a.name.localeCompare(b.name))) visit(s);
  return out;
}

/**
 * Runs `fn` for every service once every service that depends on it has
 * finished (stop and remove in reverse order, independent services in parallel).
 */
export function reverseDependencyRuns(
  services: ServiceConfig[],
  fn: (s: ServiceConfig) => Promise<unknown>,
): Promise<unknown>[] {
  const runs = new Map<string, Promise<unknown>>();
  const run = (s: ServiceConfig): Promise<unknown> => {
    let r = runs.get(s.name);
    if (!r) {
      const dependents = services.filter((d) => d.name !== s.name && dependencies(d).includes(s.name));
      r = Promise.all(dependents.map(run)).then(() => fn(s));
      runs.set(s.name, r);
    }
    return r;
  };
  return services.map(run);
}
