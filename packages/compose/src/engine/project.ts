/**
 * The project handle: one compose model and the layer clients it drives.
 * Every method takes an AbortSignal; progress comes through `progress`
 * (or as an AsyncIterable through {@link progressStream}).
 */
import { notFound, type TscrEvent } from '@tscr/api';
import type { ContainerService } from '@tscr/container';
import type { ComposeModel } from '../model.js';
import { buildService } from './build.js';
import { builtImageName, LABEL } from './labels.js';
import { createContainer, newSlug, stopAndRemove, type Ctx } from './lifecycle.js';
import type { ContainerPlan } from './convert.js';
import { Progress } from './progress.js';
import { projectContainers, type Found } from './project-containers.js';
import {
  pullImage,
  removeNetworks,
  removeVolumes,
  ensureImages,
  ensureNetworks,
  ensureVolumes,
  usedResources,
} from './resources.js';
import { dependencyOrder, reverseDependencyRuns, selectServices, service } from './select.js';
import type { CallOptions, ComposeClients, ProgressSink, ProgressState, ProjectContainer } from './types.js';
import { up, type UpOptions, type UpResult } from './up.js';
import { describe, mergeLogs, type ServiceLogEntry } from './observe.js';

/** Options of calls that report progress. */
export interface ProgressOptions extends CallOptions {
  progress?: ProgressSink;
}

/** Options of {@link ComposeProject.down}. */
export interface DownOptions extends ProgressOptions {
  /** Remove the named volumes too (and anonymous ones of the containers). */
  volumes?: boolean;
  /** Remove images: `local` (those built without an `image:` name) or `all`. */
  rmi?: 'local' | 'all';
  removeOrphans?: boolean;
  timeout?: number;
}

/** Options of `run`. */
export interface RunOptions extends ProgressOptions, Omit<NonNullable<ContainerPlan['oneoff']>, never> {
  name?: string;
  noDeps?: boolean;
  /** Remove when it exits (`--rm`). */
  autoRemove?: boolean;
}

type Lifecycle = 'start' | 'stop' | 'restart' | 'kill' | 'pause' | 'unpause';
const WORDS: Record<Lifecycle, [ProgressState, ProgressState]> = {
  start: ['Starting', 'Started'],
  stop: ['Stopping', 'Stopped'],
  restart: ['Restarting', 'Restarted'],
  kill: ['Killing', 'Killed'],
  pause: ['Pausing', 'Paused'],
  unpause: ['Unpausing', 'Unpaused'],
};

/** Whether `action` has anything to do for a container in `state`. */
function applies(action: Lifecycle, state: string): boolean {
  const live = state === 'running' || state === 'restarting';
  switch (action) {
    case 'start':
      return state !== 'running' && state !== 'paused';
    case 'stop':
    case 'kill':
    case 'pause':
      return live;
    case 'unpause':
      return state === 'paused';
    default:
      return true;
  }
}

/** A compose project bound to the clients of one daemon. */
export class ComposeProject {
  constructor(
    readonly model: ComposeModel,
    readonly clients: ComposeClients,
  ) {}

  private async ctx(o: ProgressOptions = {}): Promise<Ctx> {
    return {
      m: this.model,
      containers: await this.clients.containers(),
      p: new Progress(o.progress),
      ...(o.signal && { signal: o.signal }),
    };
  }

  /** The project's containers (one-offs with `oneoff`). */
  async containers(o: CallOptions & { oneoff?: boolean; services?: string[] } = {}): Promise<Found[]> {
    const list = await projectContainers(await this.clients.containers(), this.model.name, o);
    return o.services?.length ? list.filter((c) => o.services!.includes(c.service)) : list;
  }

  /** `up`: see {@link UpOptions}. */
  async up(o: UpOptions & ProgressOptions = {}): Promise<UpResult> {
    return up(await this.ctx(o), this.clients, o);
  }

  /** `create`: `up` without starting. */
  async create(o: UpOptions & ProgressOptions = {}): Promise<UpResult> {
    return this.up({ ...o, noStart: true });
  }

  /** `down`: containers in reverse dependency order, then networks, then (`volumes`) volumes and (`rmi`) images. */
  async down(o: DownOptions = {}): Promise<void> {
    const ctx = await this.ctx(o);
    const call: CallOptions = o.signal ? { signal: o.signal } : {};
    const all = await this.containers({ ...call, oneoff: true });
    const known = [...Object.values(this.model.services), ...Object.values(this.model.disabled)];
    const stop = { ...(o.timeout !== undefined && { timeout: o.timeout }), volumes: o.volumes ?? false };
    // Without compose files (`-p NAME down`) every container of the project goes, as with Compose.
    const orphans = all.filter((c) => !known.some((s) => s.name === c.service));
    const orphanRun =
      o.removeOrphans || this.model.configFiles.length === 0
        ? Promise.all(orphans.map((c) => stopAndRemove(ctx, c, stop)))
        : Promise.resolve([]);
    // A service stops once every service that depends on it has stopped; independent ones in parallel.
    await Promise.all([
      orphanRun,
      ...reverseDependencyRuns(known, (s) =>
        Promise.all(all.filter((c) => c.service === s.name).map((c) => stopAndRemove(ctx, c, stop))),
      ),
    ]);
    // Networks and volumes are independent of each other once the containers are gone.
    const results = await Promise.allSettled([
      removeNetworks(this.model, this.clients, ctx.p, call),
      o.volumes ? removeVolumes(this.model, this.clients, ctx.p, call) : undefined,
    ]);
    for (const r of results) if (r.status === 'rejected') throw r.reason;
    if (o.rmi) {
      const images = await this.clients.images();
      for (const s of known) {
        if (o.rmi === 'local' && s.image) continue;
        const ref = builtImageName(this.model.name, s);
        await ctx.p.step('Image', ref, 'Removing', 'Removed', () => images.remove(ref, call)).catch(() => {});
      }
    }
  }

  /** `ps`: the containers with state, health and ports. */
  async ps(
    o: CallOptions & { all?: boolean; services?: string[]; oneoff?: boolean } = {},
  ): Promise<ProjectContainer[]> {
    const containers = await this.clients.containers();
    const list = (await this.containers(o)).filter(
      (c) => o.all || c.summary.state === 'running' || c.summary.state === 'paused' || c.summary.state === 'restarting',
    );
    return Promise.all(list.map((c) => describe(containers, c, o)));
  }

  /** A lifecycle call on each container of the services (all when none named), with progress lines. */
  async lifecycle(
    action: Lifecycle,
    o: ProgressOptions & { services?: string[]; timeout?: number; signal_?: string } = {},
  ): Promise<void> {
    const ctx = await this.ctx(o);
    const c = ctx.containers;
    const call: CallOptions = o.signal ? { signal: o.signal } : {};
    const list = await this.containers({ ...call, ...(o.services && { services: o.services }) });
    if (o.services?.length) for (const s of o.services) service(this.model, s);
    const order = dependencyOrder(selectServices(this.model, o.services ?? [], false));
    const stopping = action === 'stop' || action === 'kill' || action === 'pause';
    const seq = stopping ? [...order].reverse() : order;
    const t = o.timeout !== undefined ? { timeout: o.timeout } : {};
    for (const s of seq) {
      const mine = list.filter((x) => x.service === s.name && applies(action, x.summary.state));
      await Promise.all(
        mine.map((x) => {
          const [doing, done] = WORDS[action];
          return ctx.p.step('Container', x.name, doing, done, () => {
            switch (action) {
              case 'start':
                return c.start(x.id, call);
              case 'stop':
                return c.stop(x.id, { ...call, ...t });
              case 'restart':
                return c.restart(x.id, { ...call, ...t });
              case 'kill':
                return c.kill(x.id, o.signal_ ?? 'SIGKILL', call);
              case 'pause':
                return c.pause(x.id, call);
              case 'unpause':
                return c.unpause(x.id, call);
            }
          });
        }),
      );
    }
  }

  /** `rm`: removes stopped containers (running ones too with `force`, stopping them with `stop`). */
  async rm(
    o: ProgressOptions & { services?: string[]; force?: boolean; stop?: boolean; volumes?: boolean } = {},
  ): Promise<string[]> {
    const ctx = await this.ctx(o);
    const call: CallOptions = o.signal ? { signal: o.signal } : {};
    let list = await this.containers({ ...call, ...(o.services && { services: o.services }) });
    if (o.stop) await this.lifecycle('stop', { ...o });
    if (o.stop) list = await this.containers({ ...call, ...(o.services && { services: o.services }) });
    const gone = list.filter((c) => o.force || (c.summary.state !== 'running' && c.summary.state !== 'paused'));
    await Promise.all(gone.map((c) => stopAndRemove(ctx, c, { volumes: o.volumes ?? false })));
    return gone.map((c) => c.name);
  }

  /** The container of a service at `index` (default 1), for `exec`, `port`. @throws NotFound. */
  async container(name: string, index = 1, o: CallOptions = {}): Promise<Found> {
    service(this.model, name);
    const found = (await this.containers(o)).find((c) => c.service === name && c.number === index);
    if (!found) throw notFound(`service "${name}" is not running container #${index}`, { details: { service: name } });
    return found;
  }

  /**
   * Creates a one-off container of `name` (`run`): its dependencies are
   * brought up first unless `noDeps`; ports only with `servicePorts`.
   * Returns it unstarted, so the caller can attach before starting.
   */
  async createOneoff(name: string, o: RunOptions = {}): Promise<{ id: string; name: string }> {
    const s = service(this.model, name);
    const deps = selectServices(this.model, [name]).filter((x) => x.name !== name);
    if (!o.noDeps && deps.length) await this.up({ ...o, services: deps.map((d) => d.name) });
    const ctx = await this.ctx(o);
    const call: CallOptions = o.signal ? { signal: o.signal } : {};
    const { networks, volumes } = usedResources([s]);
    await ensureNetworks(this.model, networks, this.clients, ctx.p, call);
    await ensureVolumes(this.model, volumes, this.clients, ctx.p, call);
    const ids = await ensureImages(this.model, [s], this.clients, ctx.p, {}, call);
    const slug = newSlug();
    const oneoff: NonNullable<ContainerPlan['oneoff']> = {};
    for (const k of [
      'command',
      'entrypoint',
      'env',
      'user',
      'workdir',
      'tty',
      'stdin',
      'servicePorts',
      'publish',
      'volumes',
    ] as const) {
      if (o[k] !== undefined) (oneoff as Record<string, unknown>)[k] = o[k];
    }
    const made = await createContainer(ctx, s, ids[name]!, builtImageName(this.model.name, s), 1, {
      slug,
      name: o.name ?? `${this.model.name}-${name}-run-${slug.slice(0, 12)}`,
      oneoff,
    });
    return made;
  }

  /** `logs`: every container's entries, interleaved as they come, each with its service and container. */
  async *logs(
    o: CallOptions & { services?: string[]; follow?: boolean; tail?: number; since?: string; until?: string } = {},
  ): AsyncGenerator<ServiceLogEntry> {
    const containers: ContainerService = await this.clients.containers();
    const list = await this.containers({
      ...(o.signal && { signal: o.signal }),
      ...(o.services && { services: o.services }),
    });
    yield* mergeLogs(containers, list, o);
  }

  /** `build`: the services with `build:` (all, or the named). */
  async build(
    o: ProgressOptions & {
      services?: string[];
      noCache?: boolean;
      onOutput?: (service: string, data: Uint8Array) => void;
    } = {},
  ): Promise<void> {
    const ctx = await this.ctx(o);
    for (const s of selectServices(this.model, o.services ?? [], false)) {
      if (!s.build) continue;
      const svc = o.noCache ? { ...s, build: { ...s.build, no_cache: true } } : s;
      await buildService(this.model, svc, builtImageName(this.model.name, s), this.clients, ctx.p, o);
    }
  }

  /** `pull`: the images of the services that name one (not those built). */
  async pull(o: ProgressOptions & { services?: string[]; ignoreBuildable?: boolean } = {}): Promise<void> {
    const ctx = await this.ctx(o);
    const call: CallOptions = o.signal ? { signal: o.signal } : {};
    await Promise.all(
      selectServices(this.model, o.services ?? [], false)
        .filter((s) => s.image && !(s.build && o.ignoreBuildable !== false))
        .map((s) => pullImage(this.clients, s.name, s.image!, ctx.p, call)),
    );
  }

  /** `push`: the images of the services that have both `build:` and `image:`. */
  async push(o: ProgressOptions & { services?: string[] } = {}): Promise<void> {
    const ctx = await this.ctx(o);
    if (!this.clients.registry) throw notFound('no registry client');
    const registry = await this.clients.registry();
    for (const s of selectServices(this.model, o.services ?? [], false)) {
      if (!s.image || !s.build) continue;
      const auth = await this.clients.registryAuth?.(s.image);
      await ctx.p.step('Image', s.image, 'Pushing', 'Pushed', async () => {
        for await (const _ of registry.push(s.image!, {
          ...(o.signal && { signal: o.signal }),
          ...(auth && { auth }),
        })) {
          // layer progress is not shown
        }
      });
    }
  }

  /** `events`: daemon events about the project's containers (AsyncIterable until aborted). */
  async *events(o: CallOptions & { services?: string[] } = {}): AsyncGenerator<TscrEvent> {
    if (!this.clients.system) throw notFound('no system client for events');
    const system = await this.clients.system();
    for await (const e of system.events({ ...(o.signal && { signal: o.signal }), types: ['container'] })) {
      if (e.attributes[LABEL.project] !== this.model.name) continue;
      if (o.services?.length && !o.services.includes(e.attributes[LABEL.service] ?? '')) continue;
      yield e;
    }
  }
}
