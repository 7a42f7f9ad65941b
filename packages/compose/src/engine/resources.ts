/** The project's networks, volumes and images: made when missing, removed by `down`. */
import { failedPrecondition, isNotFound, notFound } from '@tscr/api';
import { serviceError } from './errors.js';
import type { ComposeModel, ServiceConfig } from '../model.js';
import { LABEL, builtImageName, networkLabels, volumeLabels } from './labels.js';
import type { Progress } from './progress.js';
import type { CallOptions, ComposeClients } from './types.js';
import { buildService } from './build.js';

/** The network keys and volume keys the services use. */
export function usedResources(services: ServiceConfig[]): { networks: Set<string>; volumes: Set<string> } {
  const networks = new Set<string>();
  const volumes = new Set<string>();
  for (const s of services) {
    for (const n of Object.keys(s.networks ?? {})) networks.add(n);
    for (const v of s.volumes ?? []) if (v.type === 'volume' && v.source) volumes.add(v.source);
  }
  return { networks, volumes };
}

/** True when `get(name)` finds it; false on NotFound. */
async function exists(
  get: (name: string, o: CallOptions) => Promise<unknown>,
  name: string,
  o: CallOptions,
): Promise<boolean> {
  try {
    await get(name, o);
    return true;
  } catch (err) {
    if (isNotFound(err)) return false;
    throw err;
  }
}

/** Creates the networks the services use that do not exist; an external one must exist. */
export async function ensureNetworks(
  m: ComposeModel,
  keys: Set<string>,
  c: ComposeClients,
  p: Progress,
  o: CallOptions,
): Promise<void> {
  const networks = await c.networks();
  for (const key of [...keys].sort()) {
    const n = m.networks[key]!;
    if (await exists((x, co) => networks.get(x, co), n.name, o)) continue;
    if (n.external) throw notFound(`network ${n.name} declared as external, but could not be found`);
    const cfg = n.ipam?.config?.[0];
    await p.step('Network', n.name, 'Creating', 'Created', () =>
      networks.create(n.name, {
        ...o,
        driver: n.driver ?? 'bridge',
        labels: networkLabels(m.name, key, n.labels),
        ...(n.internal && { internal: true }),
        ...(n.driver_opts && { options: n.driver_opts }),
        ...(cfg?.subnet && { subnet: cfg.subnet }),
        ...(cfg?.gateway && { gateway: cfg.gateway }),
        ...(cfg?.ip_range && { ipRange: cfg.ip_range }),
      }),
    );
  }
}

/** Creates the named volumes the services use that do not exist; an external one must exist. */
export async function ensureVolumes(
  m: ComposeModel,
  keys: Set<string>,
  c: ComposeClients,
  p: Progress,
  o: CallOptions,
): Promise<void> {
  const volumes = await c.volumes();
  for (const key of [...keys].sort()) {
    const v = m.volumes[key]!;
    if (await exists((x, co) => volumes.get(x, co), v.name, o)) continue;
    if (v.external) throw notFound(`external volume "${v.name}" not found`);
    await p.step('Volume', v.name, 'Creating', 'Created', () =>
      volumes.create(v.name, {
        ...o,
        labels: volumeLabels(m.name, key, v.labels),
        ...(v.driver && { driver: v.driver }),
        ...(v.driver_opts && { options: v.driver_opts }),
      }),
    );
  }
}

/** Removes the project's networks (those it made: labelled with the project). */
export async function removeNetworks(m: ComposeModel, c: ComposeClients, p: Progress, o: CallOptions): Promise<void> {
  const networks = await c.networks();
  for (const n of await networks.list(o)) {
    if (n.labels[LABEL.project] !== m.name || n.builtin) continue;
    await p.step('Network', n.name, 'Removing', 'Removed', () => networks.remove(n.name, o));
  }
}

/** Removes the project's named volumes (`down -v`). */
export async function removeVolumes(m: ComposeModel, c: ComposeClients, p: Progress, o: CallOptions): Promise<void> {
  const volumes = await c.volumes();
  for (const v of await volumes.list(o)) {
    if (v.labels[LABEL.project] !== m.name) continue;
    await p.step('Volume', v.name, 'Removing', 'Removed', () => volumes.remove(v.name, o));
  }
}

/** How `up`/`create`/`pull` treat images. */
export interface ImagePolicy {
  /** `always`: build every service with `build:` (--build); `never`: never build (--no-build). */
  build?: 'always' | 'never';
  /** Overrides each service's `pull_policy` (--pull). */
  pull?: 'always' | 'missing' | 'never';
  quietPull?: boolean;
}

async function present(c: ComposeClients, ref: string, o: CallOptions): Promise<string | undefined> {
  const images = await c.images();
  let id: string | undefined;
  await exists(async (x, co) => (id = (await images.get(x, co)).id), ref, o);
  return id;
}

/** Pulls `ref` through the registry layer. */
export async function pullImage(
  c: ComposeClients,
  service: string,
  ref: string,
  p: Progress,
  o: CallOptions,
): Promise<void> {
  if (!c.registry) throw failedPrecondition(`cannot pull ${ref} for service ${service}: no registry client`);
  const registry = await c.registry();
  const auth = await c.registryAuth?.(ref);
  await p.step('Image', ref, 'Pulling', 'Pulled', async () => {
    for await (const _ of registry.pull(ref, { ...o, ...(auth && { auth }) })) {
      // progress of layers is not shown, as `--quiet-pull` would
    }
  });
}

/**
 * Makes sure each service has its image (building or pulling as policies
 * say) and returns the image IDs by service.
 * @throws NotFound naming the service when an image is missing and may not be pulled or built.
 */
export async function ensureImages(
  m: ComposeModel,
  services: ServiceConfig[],
  c: ComposeClients,
  p: Progress,
  policy: ImagePolicy,
  o: CallOptions,
): Promise<Record<string, string>> {
  const ids: Record<string, string> = {};
  const done = new Map<string, Promise<string>>();
  await Promise.all(
    services.map(async (s) => {
      const ref = builtImageName(m.name, s);
      const once = done.get(ref) ?? ensureOne(m, s, ref, c, p, policy, o);
      done.set(ref, once);
      ids[s.name] = await once;
    }),
  );
  return ids;
}

async function ensureOne(
  m: ComposeModel,
  s: ServiceConfig,
  ref: string,
  c: ComposeClients,
  p: Progress,
  policy: ImagePolicy,
  o: CallOptions,
): Promise<string> {
  const pull = policy.pull ?? (s.pull_policy === 'if_not_present' ? 'missing' : s.pull_policy);
  let id = await present(c, ref, o);
  if (s.build && policy.build !== 'never' && (policy.build === 'always' || pull === 'build' || !id)) {
    return buildService(m, s, ref, c, p, o);
  }
  if (pull === 'always' || (!id && pull !== 'never')) {
    await pullImage(c, s.name, ref, p, o).catch((err: unknown) => {
      throw serviceError(s.name, `pulling ${ref}`, err);
    });
    id = await present(c, ref, o);
  }
  if (!id)
    throw notFound(
      `service "${s.name}": image ${ref} is not present and ${s.build ? 'the build was turned off' : 'pull_policy is never'}`,
    );
  return id;
}
