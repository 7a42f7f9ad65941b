/** One container of a service: created, recreated, started, waited on — with progress lines. */
import { randomBytes } from 'node:crypto';
import { TscrError, failedPrecondition, isNotFound, type MountSpec } from '@tscr/api';
import type { ContainerService } from '@tscr/container';
import type { ComposeModel, ServiceConfig } from '../model.js';
import { createRequest, type ContainerPlan } from './convert.js';
import { serviceError } from './errors.js';
import { filesTar, injectedFiles } from './inject.js';
import { containerLabels, containerName } from './labels.js';
import type { Progress } from './progress.js';
import { projectContainers, type Found } from './project-containers.js';
import type { CallOptions } from './types.js';

/** What acting on containers needs. */
export interface Ctx {
  m: ComposeModel;
  containers: ContainerService;
  p: Progress;
  signal?: AbortSignal;
}

function opts(ctx: Ctx): CallOptions {
  return ctx.signal ? { signal: ctx.signal } : {};
}

/** `network_mode: service:x` → `container:<id>`, `volumes_from` → mounts, from the containers of those services. */
async function references(ctx: Ctx, s: ServiceConfig): Promise<Pick<ContainerPlan, 'networkMode' | 'volumesFrom'>> {
  const out: Pick<ContainerPlan, 'networkMode' | 'volumesFrom'> = {};
  const first = async (service: string) => {
    const found = (await projectContainers(ctx.containers, ctx.m.name, opts(ctx))).find((c) => c.service === service);
    if (!found)
      throw failedPrecondition(`service "${s.name}" needs a container of service "${service}", and it has none`);
    return found.id;
  };
  if (s.network_mode?.startsWith('service:')) out.networkMode = `container:${await first(s.network_mode.slice(8))}`;
  for (const entry of s.volumes_from ?? []) {
    const parts = entry.split(':');
    const isContainer = parts[0] === 'container';
    const ref = isContainer ? parts[1]! : parts[0] === 'service' ? parts[1]! : parts[0]!;
    const mode = parts[isContainer || parts[0] === 'service' ? 2 : 1];
    const id = isContainer ? ref : await first(ref);
    const info = await ctx.containers.inspect(id, opts(ctx));
    for (const mp of info.mounts) {
      if (mp.type !== 'volume' && mp.type !== 'bind') continue;
      const spec: MountSpec = {
        type: mp.type,
        source: mp.type === 'volume' ? (mp.name ?? '') : mp.source,
        target: mp.destination,
      };
      if (mode === 'ro' || (mode === undefined && !mp.rw)) spec.readOnly = true;
      out.volumesFrom = [...(out.volumesFrom ?? []), spec];
    }
  }
  return out;
}

/** Creates container number `n` of `s` (or a one-off); returns its ID. */
export async function createContainer(
  ctx: Ctx,
  s: ServiceConfig,
  imageId: string,
  image: string,
  n: number,
  extra: Partial<ContainerPlan> & { slug?: string } = {},
): Promise<{ id: string; name: string }> {
  const name = extra.name ?? containerName(ctx.m.name, s, n);
  const labels = containerLabels(ctx.m, s, { number: n, imageId, ...(extra.slug && { oneoff: extra.slug }) });
  const plan: ContainerPlan = { name, image, labels, ...(await references(ctx, s)), ...extra };
  const req = createRequest(ctx.m, s, plan);
  const files = injectedFiles(ctx.m, s);
  const { id } = await ctx.containers.create(req, opts(ctx)).catch((err: unknown) => {
    throw serviceError(s.name, `creating container ${name}`, err);
  });
  if (files.length) {
    const tar = filesTar(files);
    await ctx.containers
      .putArchive(
        id,
        '/',
        (async function* () {
          yield tar;
        })(),
        opts(ctx),
      )
      .catch((err: unknown) => {
        throw serviceError(s.name, `writing secrets and configs into ${name}`, err);
      });
  }
  return { id, name };
}

/** The anonymous volumes of a container (by target), to hand to its replacement. */
async function anonymousVolumes(ctx: Ctx, s: ServiceConfig, id: string): Promise<Record<string, string>> {
  const anon = new Set((s.volumes ?? []).filter((v) => v.type === 'volume' && !v.source).map((v) => v.target));
  const out: Record<string, string> = {};
  for (const mp of (await ctx.containers.inspect(id, opts(ctx))).mounts) {
    if (mp.type === 'volume' && mp.name && anon.has(mp.destination)) out[mp.destination] = mp.name;
  }
  return out;
}

/**
 * Replaces `old` with a new container of the same name and number (for a
 * changed config), keeping its anonymous volumes, as Compose does.
 */
export async function recreate(
  ctx: Ctx,
  s: ServiceConfig,
  old: Found,
  imageId: string,
  image: string,
  timeout?: number,
): Promise<string> {
  const line = ctx.p.line('Container', old.name);
  line.set('Recreate');
  const anonymous = await anonymousVolumes(ctx, s, old.id);
  if (old.summary.state === 'running' || old.summary.state === 'paused' || old.summary.state === 'restarting') {
    await ctx.containers.stop(old.id, { ...opts(ctx), ...(timeout !== undefined && { timeout }) });
  }
  await ctx.containers.rename(old.id, `${old.id.slice(0, 12)}_${old.name}`, opts(ctx));
  let created: { id: string };
  try {
    created = await createContainer(ctx, s, imageId, image, old.number, { name: old.name, anonymous });
  } catch (err) {
    await ctx.containers.rename(old.id, old.name, opts(ctx)).catch(() => {});
    line.set('Error', true, (err as Error).message);
    throw err;
  }
  await ctx.containers.remove(old.id, { ...opts(ctx), force: true });
  line.set('Recreated', true);
  return created.id;
}

/** Starts a container with a `Starting` → `Started` line. */
export async function start(ctx: Ctx, s: ServiceConfig, id: string, name: string): Promise<void> {
  await ctx.p.step('Container', name, 'Starting', 'Started', () =>
    ctx.containers.start(id, opts(ctx)).catch((err: unknown) => {
      throw serviceError(s.name, `starting container ${name}`, err);
    }),
  );
}

/** Stops then removes a container (`Stopping`/`Stopped`, `Removing`/`Removed`). */
export async function stopAndRemove(
  ctx: Ctx,
  c: Found,
  o: { timeout?: number; volumes?: boolean } = {},
): Promise<void> {
  if (c.summary.state === 'running' || c.summary.state === 'paused' || c.summary.state === 'restarting') {
    await ctx.p.step('Container', c.name, 'Stopping', 'Stopped', () =>
      ctx.containers.stop(c.id, { ...opts(ctx), ...(o.timeout !== undefined && { timeout: o.timeout }) }),
    );
  }
  await ctx.p.step('Container', c.name, 'Removing', 'Removed', () =>
    ctx.containers.remove(c.id, { ...opts(ctx), force: true, volumes: o.volumes ?? false }).catch((err: unknown) => {
      if (!isNotFound(err)) throw err;
    }),
  );
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(t);
        reject(new TscrError('Cancelled', 'cancelled'));
      },
      { once: true },
    );
  });

/**
 * Waits until a container is healthy (`healthy`), has exited 0
 * (`completed`), or runs — healthy when it has a healthcheck (`--wait`).
 * @throws FailedPrecondition when it turns unhealthy or exits otherwise; DeadlineExceeded after `timeoutMs`.
 */
export async function waitFor(
  ctx: Ctx,
  c: { id: string; name: string },
  what: 'healthy' | 'completed' | 'ready',
  timeoutMs = Number.POSITIVE_INFINITY,
): Promise<void> {
  const line = ctx.p.line('Container', c.name);
  line.set('Waiting');
  const deadline = Date.now() + timeoutMs;
  const started = Date.now();
  // Inspect is cheap: look often at first (a dependency's health decides when the next service starts), then less.
  for (let delay = 25; ; delay = Date.now() - started < 3000 ? 25 : 250) {
    const info = await ctx.containers.inspect(c.id, opts(ctx));
    const st = info.state;
    const health = st.health?.status;
    if (what === 'completed' && !st.running && st.finishedAt) {
      if (st.exitCode === 0) return line.set('Exited', true);
      line.set('Error', true);
      throw failedPrecondition(
        `service ${JSON.stringify(info.config.labels?.['com.docker.compose.service'])} didn't complete successfully: exit ${st.exitCode}`,
      );
    }
    if (what !== 'completed') {
      if (health === 'healthy' || (what === 'ready' && st.running && !st.health))
        return line.set(health === 'healthy' ? 'Healthy' : 'Running', true);
      if (health === 'unhealthy') {
        line.set('Error', true);
        throw failedPrecondition(
          `${what === 'healthy' ? 'dependency failed to start: ' : ''}container ${c.name} is unhealthy`,
        );
      }
      if (what === 'healthy' && !st.health && st.running) {
        line.set('Error', true);
        throw failedPrecondition(`container ${c.name} has no healthcheck configured`);
      }
      if (!st.running && st.finishedAt) {
        // A one-shot service that has done its job counts as ready.
        if (what === 'ready' && st.exitCode === 0) return line.set('Exited', true);
        line.set('Error', true);
        throw failedPrecondition(`container ${c.name} exited (${st.exitCode})`);
      }
    }
    if (Date.now() > deadline) {
      line.set('Error', true);
      throw new TscrError(
        'DeadlineExceeded',
        `timeout waiting for container ${c.name} to be ${what === 'completed' ? 'completed' : 'healthy'}`,
      );
    }
    await sleep(delay, ctx.signal);
  }
}

/** A random slug for a one-off container (64 hex, as Compose's). */
export function newSlug(): string {
  return randomBytes(32).toString('hex');
}
