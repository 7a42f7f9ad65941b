/**
 * Pod sandboxes. A sandbox is an infra container running the sandbox image's
 * `/pause`: it holds the pod's network, IPC and UTS namespaces (and the PID
 * namespace for pods that share one), which the pod's containers join.
 */
import {
  alreadyExists,
  invalidArgument,
  isNotFound,
  notFound,
  type ContainerInfo,
  type ContainerSummary,
  type HostConfig,
  type PortBindingEntry,
} from '@tscr/api';
import type { criV1 } from '@tscr/api/cri';
import type { CallOptions, CriBackends, CriOptions } from './types.js';
import {
  KIND_LABEL,
  containerName,
  criLabels,
  dnsHostConfig,
  matchesSelector,
  nowNanos,
  podMetadata,
  readMeta,
  type PodMeta,
  type PodNamespaceMode,
} from './meta.js';
import type { PodNetwork } from './pod-network.js';

type PodSandboxConfig = criV1.PodSandboxConfig;

/** NamespaceMode: POD = 0, CONTAINER = 1, NODE = 2, TARGET = 3. */
const NODE = 2;

/** A CRI pod as read from its infra container. */
export interface Pod {
  id: string;
  meta: PodMeta;
  ready: boolean;
  info?: ContainerInfo;
}

function podMode(mode: number | undefined): PodNamespaceMode {
  return mode === NODE ? 'node' : 'pod';
}

function required(value: string | undefined, what: string): string {
  if (!value) throw invalidArgument(`PodSandboxConfig.metadata.${what} is required`);
  return value;
}

/** CRI port mappings with a host port → Docker-shaped port bindings. */
function portBindings(mappings: criV1.PortMapping[]): Record<string, PortBindingEntry[]> {
  const out: Record<string, PortBindingEntry[]> = {};
  for (const m of mappings) {
    if (!m.hostPort) continue; // a container port alone publishes nothing (as containerd's portmap)
    const proto = m.protocol === 1 ? 'udp' : m.protocol === 0 ? 'tcp' : '';
    if (!proto) throw invalidArgument(`port mapping ${m.containerPort}: only TCP and UDP are supported`);
    const key = `${m.containerPort}/${proto}`;
    out[key] = [...(out[key] ?? []), { hostIp: m.hostIp, hostPort: String(m.hostPort) }];
  }
  return out;
}

/** Run, stop, remove, list and report pod sandboxes. */
export class PodSandboxes {
  constructor(
    private readonly b: CriBackends,
    private readonly o: CriOptions,
    private readonly network: PodNetwork,
  ) {}

  /** @throws InvalidArgument; AlreadyExists (same name, namespace, uid and attempt); NotFound (sandbox image). */
  async run(config: PodSandboxConfig | undefined, runtimeHandler: string, opts: CallOptions): Promise<string> {
    if (!config) throw invalidArgument('RunPodSandbox needs a config');
    if (runtimeHandler && runtimeHandler !== 'runc')
      throw invalidArgument(`unknown runtime handler ${JSON.stringify(runtimeHandler)} (this runtime has: runc)`);
    const md = config.metadata;
    const name = containerName([
      'POD',
      required(md?.name, 'name'),
      required(md?.namespace, 'namespace'),
      required(md?.uid, 'uid'),
      md?.attempt ?? 0,
    ]);
    if ((await this.b.containers.list({ all: true })).some((c) => c.names.includes(name))) {
      throw alreadyExists(`pod sandbox ${md?.name} (namespace ${md?.namespace}, uid ${md?.uid}) already exists`, {
        details: { name },
      });
    }
    const sec = config.linux?.securityContext;
    const ns = sec?.namespaceOptions;
    const meta: PodMeta = {
      name: md!.name,
      uid: md!.uid,
      namespace: md!.namespace,
      attempt: md!.attempt,
      labels: config.labels ?? {},
      annotations: config.annotations ?? {},
      hostname: config.hostname,
      logDirectory: config.logDirectory,
      runtimeHandler,
      network: podMode(ns?.network),
      pid: podMode(ns?.pid),
      ipc: podMode(ns?.ipc),
      dns: {
        servers: config.dnsConfig?.servers ?? [],
        searches: config.dnsConfig?.searches ?? [],
        options: config.dnsConfig?.options ?? [],
      },
      createdAt: nowNanos(),
    };
    const ports = portBindings(config.portMappings ?? []);
    await this.ensureImage(opts);
    const hostConfig: HostConfig = {
      networkMode: meta.network === 'node' ? 'host' : await this.network.name(opts),
      ...(meta.network === 'node' && { utsMode: 'host' }),
      ...(meta.ipc === 'node' && { ipcMode: 'host' }),
      ...(meta.pid === 'node' && { pidMode: 'host' }),
      ...(Object.keys(ports).length > 0 && { portBindings: ports }),
      ...dnsHostConfig(meta),
      ...(Object.keys(config.linux?.sysctls ?? {}).length > 0 && { sysctls: config.linux!.sysctls }),
      ...(sec?.privileged && { privileged: true }),
      // The infra process only sleeps: no new privileges, and it never needs much of /dev/shm.
      securityOpt: ['no-new-privileges'],
    };
    const { id } = await this.b.containers.create(
      {
        name,
        config: {
          image: this.o.sandboxImage,
          ...(config.hostname && meta.network !== 'node' && { hostname: config.hostname }),
          labels: criLabels('sandbox', meta, meta),
          stopSignal: 'SIGKILL',
        },
        hostConfig,
      },
      opts,
    );
    try {
      await this.b.containers.start(id, opts);
    } catch (err) {
      await this.b.containers.remove(id, { force: true }).catch(() => undefined);
      throw err;
    }
    return id;
  }

  /** Stops the pod's containers, then its infra container. An unknown pod is not an error. */
  async stop(id: string, opts: CallOptions): Promise<void> {
    const pod = await this.find(id);
    if (!pod) return;
    await Promise.all(
      (await this.containersOf(pod.id))
        .filter((c) => c.state === 'running')
        .map((c) =>
          this.b.containers.stop(c.id, { ...opts, timeout: 0 }).catch((err: unknown) => {
            if (!isNotFound(err)) throw err;
          }),
        ),
    );
    await this.b.containers.stop(pod.id, { ...opts, timeout: 0 }).catch((err: unknown) => {
      if (!isNotFound(err)) throw err;
    });
  }

  /** Removes the pod's containers and its infra container (running ones too). An unknown pod is not an error. */
  async remove(id: string, opts: CallOptions): Promise<void> {
    const pod = await this.find(id);
    if (!pod) return;
    for (const c of await this.containersOf(pod.id)) {
      await this.b.containers.remove(c.id, { ...opts, force: true }).catch((err: unknown) => {
        if (!isNotFound(err)) throw err;
      });
    }
    await this.b.containers.remove(pod.id, { ...opts, force: true }).catch((err: unknown) => {
      if (!isNotFound(err)) throw err;
    });
  }

  /** The pod with this ID (or unique prefix). @throws NotFound. */
  async get(id: string): Promise<Pod> {
    const pod = await this.find(id);
    if (!pod) throw notFound(`pod sandbox ${JSON.stringify(id)} not found`, { details: { id } });
    return pod;
  }

  /** Every pod (summaries only: no `info`). */
  async list(filter: criV1.PodSandboxFilter | undefined): Promise<Pod[]> {
    const all = (await this.b.containers.list({ all: true })).filter((c) => c.labels[KIND_LABEL] === 'sandbox');
    const pods = all.map((c) => ({ id: c.id, meta: readMeta<PodMeta>(c.labels), ready: c.state === 'running' }));
    return pods.filter(
      (p) =>
        (!filter?.id || p.id.startsWith(filter.id)) &&
        (filter?.state === undefined || (filter.state.state === 0) === p.ready) &&
        matchesSelector(p.meta.labels, filter?.labelSelector),
    );
  }

  /** CRI containers of a pod (summaries). */
  async containersOf(podId: string): Promise<ContainerSummary[]> {
    return (await this.b.containers.list({ all: true })).filter(
      (c) => c.labels[KIND_LABEL] === 'container' && c.labels['io.tscr.cri.sandbox'] === podId,
    );
  }

  /** PodSandboxStatus. */
  async status(id: string): Promise<criV1.PodSandboxStatus> {
    const pod = await this.get(id);
    const info = pod.info!;
    const ns = { network: pod.meta.network, pid: pod.meta.pid, ipc: pod.meta.ipc };
    const mode = (m: PodNamespaceMode) => (m === 'node' ? NODE : 0);
    return {
      id: pod.id,
      metadata: podMetadata(pod.meta),
      state: pod.ready ? 0 : 1,
      createdAt: pod.meta.createdAt,
      network: { ip: pod.ready ? (info.networkSettings?.ipAddress ?? '') : '', additionalIps: [] },
      linux: {
        namespaces: {
          options: {
            network: mode(ns.network),
            pid: ns.pid === 'node' ? NODE : 1,
            ipc: mode(ns.ipc),
            targetId: '',
          },
        },
      },
      labels: pod.meta.labels,
      annotations: pod.meta.annotations,
      runtimeHandler: pod.meta.runtimeHandler,
    };
  }

  private async find(id: string): Promise<Pod | undefined> {
    if (!id) throw invalidArgument('a pod sandbox ID is required');
    let info: ContainerInfo;
    try {
      info = await this.b.containers.inspect(id);
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
    if (info.config.labels?.[KIND_LABEL] !== 'sandbox') return undefined;
    return { id: info.id, meta: readMeta<PodMeta>(info.config.labels), ready: info.state.running, info };
  }

  /** Pulls the sandbox image when it is not here. */
  private async ensureImage(opts: CallOptions): Promise<void> {
    try {
      await this.b.images.get(this.o.sandboxImage, opts);
      return;
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    for await (const _ of this.b.registry.pull(this.o.sandboxImage, opts)) {
      // progress is not reported
    }
  }
}
