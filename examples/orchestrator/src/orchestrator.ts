/**
 * Keeps N replicas of a service running over several tscr daemons, through
 * the layers' gRPC clients only: places each replica on the daemon with the
 * fewest, replaces replicas that exit or turn unhealthy (told by each daemon's
 * event stream, with a periodic check as a safety net), and rolls the service
 * to a new image one replica at a time, each new one healthy before its old
 * one goes. A daemon without the image gets it from one that has it, daemon
 * to daemon (`Transfer.SendImages`).
 */
import { randomBytes } from 'node:crypto';
import { isNotFound, type HealthConfig } from '@tscr/api';
import type { DaemonTarget } from '@tscr/api/grpc';
import { GrpcContainerService } from '@tscr/container/grpc';
import { GrpcSystemService, GrpcTransferService } from '@tscr/daemon/grpc';
import { GrpcImageService } from '@tscr/image/grpc';

/** The service to keep running. */
export interface ServiceSpec {
  /** Replicas are named `NAME-INDEX-RANDOM` and labelled with it. */
  name: string;
  image: string;
  replicas: number;
  cmd?: string[];
  /** A replica counts as healthy once this passes (without one: once it runs). */
  healthcheck?: HealthConfig;
  networkMode?: string;
}

/** One daemon, through its gRPC clients. */
export interface NodeClients {
  name: string;
  target: DaemonTarget;
  containers: GrpcContainerService;
  images: GrpcImageService;
  system: GrpcSystemService;
  transfer: GrpcTransferService;
}

/** Opens the clients of a daemon. */
export function connectNode(name: string, target: DaemonTarget): NodeClients {
  return {
    name,
    target,
    containers: new GrpcContainerService(target),
    images: new GrpcImageService(target),
    system: new GrpcSystemService(target),
    transfer: new GrpcTransferService(target),
  };
}

/** Closes a daemon's clients. */
export function closeNode(n: NodeClients): void {
  for (const c of [n.containers, n.images, n.system, n.transfer]) c.close();
}

/** One replica as found on a daemon. */
export interface Replica {
  node: NodeClients;
  id: string;
  index: number;
  image: string;
  running: boolean;
  /** `starting`, `healthy`, `unhealthy`, or `none` without a healthcheck. */
  health: string;
}

const SERVICE = 'tscr.orchestrator.service';
const INDEX = 'tscr.orchestrator.replica';

/** See the module comment. */
export class Orchestrator {
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly nodes: NodeClients[],
    private spec: ServiceSpec,
    private readonly log: (line: string) => void = () => undefined,
  ) {}

  /** Runs `fn` after everything queued before it: reconciling and updating never overlap. */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.queue.then(fn, fn);
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** Every replica of the service on every daemon. */
  async replicas(): Promise<Replica[]> {
    const out: Replica[] = [];
    for (const node of this.nodes) {
      for (const c of await node.containers.list({ all: true })) {
        if (c.labels[SERVICE] !== this.spec.name) continue;
        const info = await node.containers.inspect(c.id).catch(() => undefined);
        if (!info) continue;
        out.push({
          node,
          id: c.id,
          index: Number(c.labels[INDEX]),
          image: info.config.image,
          running: info.state.running,
          health: info.state.health?.status ?? 'none',
        });
      }
    }
    return out;
  }

  /** Makes sure `node` has `image`, sending it from a daemon that has it. */
  private async ensureImage(node: NodeClients, image: string): Promise<void> {
    if (
      await node.images.get(image).then(
        () => true,
        (e: unknown) => (isNotFound(e) ? false : Promise.reject(e)),
      )
    )
      return;
    for (const from of this.nodes) {
      if (
        from === node ||
        !(await from.images.get(image).then(
          () => true,
          () => false,
        ))
      )
        continue;
      this.log(`sending ${image} from ${from.name} to ${node.name}`);
      for await (const _ of from.transfer.sendImages([image], node.target.address)) {
        // progress is not shown
      }
      return;
    }
    throw new Error(`no daemon has ${image}`);
  }

  /** Creates and starts replica `index` on `node`. */
  private async startReplica(node: NodeClients, index: number, image: string): Promise<string> {
    await this.ensureImage(node, image);
    const { id } = await node.containers.create({
      name: `${this.spec.name}-${index}-${randomBytes(3).toString('hex')}`,
      config: {
        image,
        ...(this.spec.cmd && { cmd: this.spec.cmd }),
        ...(this.spec.healthcheck && { healthcheck: this.spec.healthcheck }),
        labels: { [SERVICE]: this.spec.name, [INDEX]: String(index) },
      },
      hostConfig: { networkMode: this.spec.networkMode ?? 'bridge' },
    });
    await node.containers.start(id);
    this.log(`replica ${index} started on ${node.name} (${id.slice(0, 12)}, ${image})`);
    return id;
  }

  /** The daemon with the fewest replicas. */
  private place(replicas: Replica[]): NodeClients {
    const count = (n: NodeClients) => replicas.filter((r) => r.node === n).length;
    return this.nodes.reduce((best, n) => (count(n) < count(best) ? n : best));
  }

  /** Brings the service to `spec.replicas` running, non-unhealthy replicas. */
  reconcile(): Promise<void> {
    return this.serial(async () => {
      const all = await this.replicas();
      const kept: Replica[] = [];
      for (const r of all) {
        const good = r.running && r.health !== 'unhealthy' && r.index < this.spec.replicas;
        if (good && !kept.some((k) => k.index === r.index)) kept.push(r);
        else {
          this.log(`removing replica ${r.index} on ${r.node.name} (${r.running ? r.health : 'exited'})`);
          await r.node.containers.remove(r.id, { force: true }).catch(() => undefined);
        }
      }
      for (let i = 0; i < this.spec.replicas; i++) {
        if (kept.some((k) => k.index === i)) continue;
        const node = this.place(kept);
        const id = await this.startReplica(node, i, this.spec.image);
        kept.push({ node, id, index: i, image: this.spec.image, running: true, health: 'starting' });
      }
    });
  }

  /** Resolves once the container is healthy (or running, without a healthcheck). @throws on timeout or exit. */
  private async waitHealthy(node: NodeClients, id: string, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const s = (await node.containers.inspect(id)).state;
      if (!s.running) throw new Error(`${id.slice(0, 12)} exited while starting`);
      if (!s.health || s.health.status === 'healthy') return;
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`${id.slice(0, 12)} was not healthy within ${timeoutMs} ms`);
  }

  /**
   * Moves the service to `image` one replica at a time: a new replica on the
   * same daemon, healthy, then the old one removed. `onStep` sees each index done.
   */
  rollingUpdate(
    image: string,
    opts: { healthTimeoutMs?: number; onStep?: (index: number) => void } = {},
  ): Promise<void> {
    return this.serial(async () => {
      this.spec = { ...this.spec, image };
      const old = (await this.replicas()).filter((r) => r.image !== image).sort((a, b) => a.index - b.index);
      for (const r of old) {
        const id = await this.startReplica(r.node, r.index, image);
        await this.waitHealthy(r.node, id, opts.healthTimeoutMs ?? 60_000);
        await r.node.containers.remove(r.id, { force: true });
        this.log(`replica ${r.index} on ${r.node.name} now runs ${image}`);
        opts.onStep?.(r.index);
      }
    });
  }

  /**
   * Reconciles now, then whenever a daemon reports one of the service's
   * containers dying, being removed or turning unhealthy, and every
   * `intervalMs` in case an event was missed (a daemon restarted). Runs until `signal` aborts.
   */
  async run(signal: AbortSignal, intervalMs = 5000): Promise<void> {
    let pending: Promise<void> | undefined;
    const kick = () => {
      pending ??= this.reconcile()
        .catch((err: unknown) => this.log(`reconcile: ${(err as Error).message}`))
        .finally(() => {
          pending = undefined;
        });
    };
    kick();
    const timer = setInterval(kick, intervalMs);
    const watch = async (node: NodeClients) => {
      while (!signal.aborted) {
        try {
          const filters = { type: ['container'], label: [`${SERVICE}=${this.spec.name}`] };
          for await (const e of node.system.events({ filters, signal })) {
            if (e.action === 'die' || e.action === 'destroy' || e.action === 'health_status: unhealthy') kick();
          }
        } catch {
          if (!signal.aborted) await new Promise((r) => setTimeout(r, 1000));
        }
      }
    };
    try {
      await Promise.all(this.nodes.map(watch));
    } finally {
      clearInterval(timer);
      await pending;
    }
  }

  /** Removes every replica (the service is gone). */
  async remove(): Promise<void> {
    await this.serial(async () => {
      for (const r of await this.replicas())
        await r.node.containers.remove(r.id, { force: true }).catch(() => undefined);
    });
  }
}
