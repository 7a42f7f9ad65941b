/**
 * `up` and `create`: networks and volumes, images, then each service
 * converged in dependency order (independent services in parallel): an
 * unchanged container is left alone, a changed one recreated, replicas
 * added or removed keeping numbers dense, dependencies' conditions awaited.
 */
import { dependencies } from '../loader/finalise.js';
import type { ServiceConfig } from '../model.js';
import { builtImageName, configHash, replicas } from './labels.js';
import { createContainer, recreate, start, stopAndRemove, waitFor, type Ctx } from './lifecycle.js';
import { projectContainers, type Found } from './project-containers.js';
import { ensureImages, ensureNetworks, ensureVolumes, usedResources, type ImagePolicy } from './resources.js';
import { selectServices } from './select.js';
import type { CallOptions, ComposeClients } from './types.js';

/** Options of `up` (and `create`, which is `up` with `noStart`). */
export interface UpOptions extends CallOptions, ImagePolicy {
  /** Only these services (and, unless `noDeps`, their dependencies). */
  services?: string[];
  noDeps?: boolean;
  /** Recreate every container, changed or not. */
  forceRecreate?: boolean;
  /** Never recreate an existing container, even when its config changed. */
  noRecreate?: boolean;
  /** Recreate the dependencies of the named services too. */
  alwaysRecreateDeps?: boolean;
  /** Remove containers of services the files no longer define. */
  removeOrphans?: boolean;
  /** Replicas by service, over `scale`/`deploy.replicas`. */
  scale?: Record<string, number>;
  /** Create, do not start. */
  noStart?: boolean;
  /** Seconds to wait for a container to stop before it is killed (recreate, scale down). */
  timeout?: number;
  /** Wait until every container runs, healthy when it has a healthcheck. */
  wait?: boolean;
  /** Seconds `wait` waits at most. */
  waitTimeout?: number;
}

/** What `up` did: the containers of the selected services, by service. */
export interface UpResult {
  containers: { id: string; name: string; service: string }[];
}

interface ServiceRun {
  started: Promise<{ id: string; name: string }[]>;
}

async function orphans(ctx: Ctx, existing: Found[], timeout?: number): Promise<void> {
  const known = new Set([...Object.keys(ctx.m.services), ...Object.keys(ctx.m.disabled)]);
  await Promise.all(
    existing
      .filter((c) => !known.has(c.service))
      .map((c) => stopAndRemove(ctx, c, { ...(timeout !== undefined && { timeout }) })),
  );
}

/** Like Promise.all, but waits for every promise to settle before rethrowing the first failure. */
async function settleAll<T extends readonly unknown[]>(ps: T): Promise<{ -readonly [K in keyof T]: Awaited<T[K]> }> {
  const settled = await Promise.allSettled(ps);
  const failed = settled.find((r) => r.status === 'rejected');
  if (failed) throw (failed as PromiseRejectedResult).reason;
  return settled.map((r) => (r as PromiseFulfilledResult<unknown>).value) as {
    -readonly [K in keyof T]: Awaited<T[K]>;
  };
}

/** Converges one service's containers; resolves with them once started (or created with `noStart`). */
async function convergeService(
  ctx: Ctx,
  s: ServiceConfig,
  existing: Found[],
  imageId: string,
  o: UpOptions,
  force: boolean,
  gate: Promise<boolean>,
  recreated: Set<string>,
): Promise<{ id: string; name: string }[]> {
  const image = builtImageName(ctx.m.name, s);
  const want = o.scale?.[s.name] ?? replicas(s);
  const mine = existing.filter((c) => c.service === s.name).sort((a, b) => a.number - b.number);
  const keep = mine.slice(0, want);
  // New containers are created at once, so the dependencies' health checks run meanwhile; a service that
  // needs a dependency's container (network_mode service:, volumes_from) waits first.
  const needsDeps = s.network_mode?.startsWith('service:') || (s.volumes_from?.length ?? 0) > 0;
  const restartKept = needsDeps ? await gate : false;
  // Scale down: the highest numbers go first.
  for (const c of mine.slice(want).reverse())
    await stopAndRemove(ctx, c, { ...(o.timeout !== undefined && { timeout: o.timeout }) });
  const hash = configHash(s);
  const out: { id: string; name: string }[] = [];
  const used = new Set(keep.map((c) => c.number));
  const fresh: number[] = [];
  for (let n = 1; fresh.length + keep.length < want; n++) if (!used.has(n)) fresh.push(n);
  await Promise.all([
    ...keep.map(async (c) => {
      const restart = (await gate) || restartKept;
      const changed = c.hash !== hash || (c.summary.labels['com.docker.compose.image'] ?? imageId) !== imageId;
      if (force || (changed && !o.noRecreate)) {
        const id = await recreate(ctx, s, c, imageId, image, o.timeout);
        recreated.add(s.name);
        if (!o.noStart) await start(ctx, s, id, c.name);
        out.push({ id, name: c.name });
        return;
      }
      if (restart && !o.noStart && c.summary.state === 'running') {
        // `depends_on.<dep>.restart`: a dependency was recreated, so this one restarts.
        await ctx.p.step('Container', c.name, 'Restarting', 'Restarted', () =>
          ctx.containers.restart(c.id, {
            ...(ctx.signal && { signal: ctx.signal }),
            ...(o.timeout !== undefined && { timeout: o.timeout }),
          }),
        );
      } else if (!o.noStart && c.summary.state !== 'running' && c.summary.state !== 'paused')
        await start(ctx, s, c.id, c.name);
      else ctx.p.line('Container', c.name).set(c.summary.state === 'running' ? 'Running' : 'Created', true);
      out.push({ id: c.id, name: c.name });
    }),
    ...fresh.map(async (n) => {
      const made = await ctx.p.step('Container', `${ctx.m.name}-${s.name}-${n}`, 'Creating', 'Created', () =>
        createContainer(ctx, s, imageId, image, n),
      );
      await gate;
      if (!o.noStart) await start(ctx, s, made.id, made.name);
      out.push(made);
    }),
  ]);
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

/**
 * Brings the selected services to the model's state.
 * @throws with the service named when an image cannot be had, a container cannot be
 *   created or started, a dependency fails its condition, or `wait` times out; what
 *   was made stays (listed by `ps -a`, removed by `down`).
 */
export async function up(ctx: Ctx, c: ComposeClients, o: UpOptions = {}): Promise<UpResult> {
  const call: CallOptions = o.signal ? { signal: o.signal } : {};
  const selected = selectServices(ctx.m, o.services ?? [], !o.noDeps);
  const { networks, volumes } = usedResources(selected);
  // Networks, volumes and images at once; every call settles before a failure is reported.
  const [, , images, existing] = await settleAll([
    ensureNetworks(ctx.m, networks, c, ctx.p, call),
    ensureVolumes(ctx.m, volumes, c, ctx.p, call),
    ensureImages(ctx.m, selected, c, ctx.p, o, call),
    projectContainers(ctx.containers, ctx.m.name, call),
  ] as const);
  if (o.removeOrphans) await orphans(ctx, existing, o.timeout);
  const named = new Set(o.services ?? []);
  const depsOfNamed = new Set(
    o.alwaysRecreateDeps ? selected.filter((s) => !named.has(s.name)).map((s) => s.name) : [],
  );
  const runs = new Map<string, ServiceRun>();
  const recreated = new Set<string>();
  const waits = new Map<string, Promise<void>>();
  const byName = new Map(selected.map((s) => [s.name, s]));
  const condition = (dep: string, cond: string): Promise<void> => {
    const key = `${dep}/${cond}`;
    let w = waits.get(key);
    if (!w) {
      const run = runs.get(dep)!;
      w = run.started.then(async (list) => {
        if (cond === 'service_started' || o.noStart) return;
        const what = cond === 'service_healthy' ? 'healthy' : 'completed';
        await Promise.all(list.map((x) => waitFor(ctx, x, what)));
      });
      waits.set(key, w);
    }
    return w;
  };
  const runFor = (s: ServiceConfig): ServiceRun => {
    const have = runs.get(s.name);
    if (have) return have;
    const deps = dependencies(s).filter((d) => byName.has(d));
    const run: ServiceRun = {
      started: (async () => {
        for (const d of deps) runFor(byName.get(d)!);
        // Resolves, once the dependencies meet their conditions, with whether one marked `restart` was recreated.
        const gate = Promise.all(deps.map((d) => condition(d, s.depends_on?.[d]?.condition ?? 'service_started'))).then(
          () => deps.some((d) => s.depends_on?.[d]?.restart === true && recreated.has(d)),
        );
        gate.catch(() => undefined);
        const force = o.forceRecreate === true || depsOfNamed.has(s.name);
        return convergeService(ctx, s, existing, images[s.name]!, o, force, gate, recreated);
      })(),
    };
    runs.set(s.name, run);
    return run;
  };
  const all = selected.map((s) => runFor(s).started.then((list) => list.map((x) => ({ ...x, service: s.name }))));
  const containers = (await settleAll(all)).flat();
  if (o.wait && !o.noStart) {
    const limit = o.waitTimeout ? o.waitTimeout * 1000 : undefined;
    await Promise.all(
      containers.map((x) => {
        const s = byName.get(x.service)!;
        const completes = selected.some((d) => d.depends_on?.[s.name]?.condition === 'service_completed_successfully');
        return waitFor(ctx, x, completes ? 'completed' : 'ready', limit);
      }),
    );
  }
  return { containers };
}
