/** Container and pod statistics from the container service's samples. */
import type { ContainerInfo, ContainerStats as Sample } from '@tscr/api';
import type { criV1 } from '@tscr/api/cri';
import type { CriContainers } from './containers.js';
import { matchesSelector, nowNanos, podMetadata, readMeta, type ContainerMeta } from './meta.js';
import type { Pod, PodSandboxes } from './pods.js';
import type { CriBackends } from './types.js';

/** One sample of a running container; undefined when it is not running (or stopped meanwhile). */
async function sampleOf(b: CriBackends, id: string): Promise<Sample | undefined> {
  try {
    for await (const s of b.containers.stats(id, { stream: false })) return s;
  } catch {
    return undefined;
  }
  return undefined;
}

function usage(sample: Sample | undefined, ts: number): Pick<criV1.ContainerStats, 'cpu' | 'memory'> {
  return {
    cpu: {
      timestamp: ts,
      usageCoreNanoSeconds: { value: sample?.cpuTotalNs ?? 0 },
      usageNanoCores: { value: Math.round(((sample?.cpuPercent ?? 0) / 100) * 1e9) },
    },
    memory: {
      timestamp: ts,
      workingSetBytes: { value: sample?.memoryUsage ?? 0 },
      usageBytes: { value: sample?.memoryUsage ?? 0 },
      availableBytes: { value: sample ? Math.max(0, sample.memoryLimit - sample.memoryUsage) : 0 },
    },
  };
}

/** Stats of CRI containers and pods. */
export class CriStats {
  constructor(
    private readonly b: CriBackends,
    private readonly containers: CriContainers,
    private readonly pods: PodSandboxes,
  ) {}

  /** @throws NotFound. */
  async container(id: string): Promise<criV1.ContainerStats> {
    return this.statsOf(await this.containers.get(id));
  }

  async list(filter: criV1.ContainerStatsFilter | undefined): Promise<criV1.ContainerStats[]> {
    const list = await this.containers.list({
      id: filter?.id ?? '',
      podSandboxId: filter?.podSandboxId ?? '',
      labelSelector: filter?.labelSelector ?? {},
    });
    const infos = await Promise.all(list.map((c) => this.b.containers.inspect(c.id).catch(() => undefined)));
    return Promise.all(infos.filter((i): i is ContainerInfo => i !== undefined).map((i) => this.statsOf(i)));
  }

  /** @throws NotFound. */
  async pod(id: string): Promise<criV1.PodSandboxStats> {
    return this.podStats(await this.pods.get(id));
  }

  async listPods(filter: criV1.PodSandboxStatsFilter | undefined): Promise<criV1.PodSandboxStats[]> {
    const pods = (await this.pods.list(filter?.id ? { id: filter.id, labelSelector: {} } : undefined)).filter((p) =>
      matchesSelector(p.meta.labels, filter?.labelSelector),
    );
    return Promise.all(pods.map((p) => this.podStats(p)));
  }

  private async podStats(pod: Pod): Promise<criV1.PodSandboxStats> {
    const ts = nowNanos();
    const [infra, containers] = await Promise.all([
      pod.ready ? sampleOf(this.b, pod.id) : undefined,
      this.list({ id: '', podSandboxId: pod.id, labelSelector: {} }),
    ]);
    const sum = (f: (c: criV1.ContainerStats) => number | undefined) => containers.reduce((n, c) => n + (f(c) ?? 0), 0);
    return {
      attributes: {
        id: pod.id,
        metadata: podMetadata(pod.meta),
        labels: pod.meta.labels,
        annotations: pod.meta.annotations,
      },
      linux: {
        cpu: {
          timestamp: ts,
          usageCoreNanoSeconds: {
            value: (infra?.cpuTotalNs ?? 0) + sum((c) => c.cpu?.usageCoreNanoSeconds?.value),
          },
          usageNanoCores: { value: sum((c) => c.cpu?.usageNanoCores?.value) },
        },
        memory: {
          timestamp: ts,
          workingSetBytes: { value: (infra?.memoryUsage ?? 0) + sum((c) => c.memory?.workingSetBytes?.value) },
        },
        network: {
          timestamp: ts,
          defaultInterface: {
            name: 'eth0',
            rxBytes: { value: infra?.netRxBytes ?? 0 },
            txBytes: { value: infra?.netTxBytes ?? 0 },
          },
          interfaces: [],
        },
        process: { timestamp: ts, processCount: { value: (infra?.pids ?? 0) + 0 } },
        containers,
      },
    };
  }

  private async statsOf(info: ContainerInfo): Promise<criV1.ContainerStats> {
    const meta = readMeta<ContainerMeta>(info.config.labels);
    const sample = info.state.running ? await sampleOf(this.b, info.id) : undefined;
    const ts = nowNanos();
    return {
      attributes: {
        id: info.id,
        metadata: { name: meta.name, attempt: meta.attempt },
        labels: meta.labels,
        annotations: meta.annotations,
      },
      ...usage(sample, ts),
      writableLayer: {
        timestamp: ts,
        fsId: { mountpoint: info.rootfs },
        usedBytes: { value: 0 },
        inodesUsed: { value: 0 },
      },
    };
  }
}
