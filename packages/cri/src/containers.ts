/**
 * CRI containers over the container service: create in a pod, start, stop,
 * remove, list, status, resources, log reopening and ExecSync.
 */
import { stat } from 'node:fs/promises';
import {
  TscrError,
  failedPrecondition,
  invalidArgument,
  isNotFound,
  notFound,
  type ContainerInfo,
  type ContainerSummary,
  type Image,
} from '@tscr/api';
import type { criV1 } from '@tscr/api/cri';
import { requestReopen } from '@tscr/runtime/local';
import { createRequest, resourcesOf } from './container-config.js';
import { KIND_LABEL, SANDBOX_LABEL, matchesSelector, readMeta, rfc3339ToNanos, type ContainerMeta } from './meta.js';
import type { PodSandboxes } from './pods.js';
import type { CallOptions, CriBackends } from './types.js';

/** ContainerState values. */
const STATE = { CREATED: 0, RUNNING: 1, EXITED: 2, UNKNOWN: 3 } as const;

/** The CRI state of a container record. */
export function criState(status: string, error = ''): number {
  if (status === 'running' || status === 'paused' || status === 'restarting') return STATE.RUNNING;
  if (status === 'exited' || status === 'dead' || status === 'removing') return STATE.EXITED;
  if (status === 'created') return error ? STATE.EXITED : STATE.CREATED;
  return STATE.UNKNOWN;
}

/** The image reference CRI clients see for an image: its first repo digest, else its ID. */
export function imageRefOf(image: Pick<Image, 'id' | 'repoDigests'>): string {
  return image.repoDigests[0] ?? image.id;
}

/** The output of one ExecSync. */
export interface ExecResult {
  stdout: Buffer;
  stderr: Buffer;
  exitCode: number;
}

/** CRI container calls. */
export class CriContainers {
  constructor(
    private readonly b: CriBackends,
    private readonly pods: PodSandboxes,
  ) {}

  /** @throws NotFound (pod, image); InvalidArgument; FailedPrecondition (pod not ready); AlreadyExists. */
  async create(podId: string, config: criV1.ContainerConfig | undefined, opts: CallOptions): Promise<string> {
    if (!config) throw invalidArgument('CreateContainer needs a config');
    const pod = await this.pods.get(podId);
    if (!pod.ready) throw failedPrecondition(`pod sandbox ${pod.id} is not ready`, { details: { id: pod.id } });
    const ref = config.image?.image;
    if (!ref) throw invalidArgument('ContainerConfig.image.image is required');
    const image = await this.b.images.get(ref, opts).catch((err: unknown) => {
      if (isNotFound(err)) throw notFound(`image ${JSON.stringify(ref)} not found`, { details: { image: ref } });
      throw err;
    });
    const req = await createRequest(pod.id, pod.meta, config, ref.startsWith('sha256:') ? image.id : ref);
    const { id } = await this.b.containers.create(req, opts);
    return id;
  }

  /** @throws NotFound; FailedPrecondition (pod not ready). */
  async start(id: string, opts: CallOptions): Promise<void> {
    const info = await this.get(id);
    await this.b.containers.start(info.id, opts);
  }

  /**
   * Stop signal, SIGKILL after `timeout` seconds. An unknown container is not an error.
   * The stop signal is sent again every second meanwhile: a process that is PID 1 of its namespace
   * loses a signal that arrives before it installed its handler (a container stopped just after
   * its start), and would otherwise sit out the whole grace period.
   */
  async stop(id: string, timeout: number, opts: CallOptions): Promise<void> {
    const info = await this.find(id);
    if (!info) return;
    const signal = info.config.stopSignal || 'SIGTERM';
    const again =
      timeout > 1 && info.state.running
        ? setInterval(() => void this.b.containers.kill(info.id, signal).catch(() => undefined), 1000)
        : undefined;
    try {
      await this.b.containers.stop(info.id, { ...opts, timeout: Math.max(0, timeout) });
    } finally {
      clearInterval(again);
    }
  }

  /** Removes it, running or not. An unknown container is not an error. */
  async remove(id: string, opts: CallOptions): Promise<void> {
    const info = await this.find(id);
    if (!info) return;
    await this.b.containers.remove(info.id, { ...opts, force: true }).catch((err: unknown) => {
      if (!isNotFound(err)) throw err;
    });
  }

  /** CRI containers matching `filter`. */
  async list(filter: criV1.ContainerFilter | undefined): Promise<criV1.Container[]> {
    const all = (await this.b.containers.list({ all: true })).filter((c) => c.labels[KIND_LABEL] === 'container');
    const images = await this.imagesById();
    const out: criV1.Container[] = [];
    for (const c of all) {
      const meta = readMeta<ContainerMeta>(c.labels);
      const state = criState(c.state);
      if (filter?.id && !c.id.startsWith(filter.id)) continue;
      if (filter?.podSandboxId && !meta.sandboxId.startsWith(filter.podSandboxId)) continue;
      if (filter?.state && filter.state.state !== state) continue;
      if (!matchesSelector(meta.labels, filter?.labelSelector)) continue;
      out.push(this.summaryOf(c, meta, state, images.get(c.imageId)));
    }
    return out;
  }

  /** ContainerStatus. @throws NotFound. */
  async status(id: string): Promise<criV1.ContainerStatus> {
    const info = await this.get(id);
    const meta = readMeta<ContainerMeta>(info.config.labels);
    const image = await this.b.images.get(info.image).catch(() => undefined);
    const state = criState(info.state.status, info.state.error);
    let reason = '';
    if (state === STATE.EXITED) {
      if (info.state.oomKilled) reason = 'OOMKilled';
      else if (info.state.status === 'created') reason = 'StartError';
      else reason = info.state.exitCode === 0 ? 'Completed' : 'Error';
    }
    const h = info.hostConfig;
    return {
      id: info.id,
      metadata: { name: meta.name, attempt: meta.attempt },
      state,
      createdAt: meta.createdAt,
      startedAt: rfc3339ToNanos(info.state.startedAt),
      finishedAt: rfc3339ToNanos(info.state.finishedAt),
      exitCode: info.state.exitCode,
      image: { image: meta.image, annotations: {}, userSpecifiedImage: meta.image, runtimeHandler: '' },
      imageRef: image ? imageRefOf(image) : info.image,
      imageId: info.image,
      reason,
      message: info.state.error,
      labels: meta.labels,
      annotations: meta.annotations,
      mounts: meta.mounts.map((m) => ({
        ...m,
        selinuxRelabel: false,
        uidMappings: [],
        gidMappings: [],
        recursiveReadOnly: false,
      })),
      logPath: meta.logPath,
      resources: {
        linux: {
          cpuPeriod: h.cpuPeriod ?? 0,
          cpuQuota: h.cpuQuota ?? 0,
          cpuShares: h.cpuShares ?? 0,
          memoryLimitInBytes: h.memory ?? 0,
          oomScoreAdj: 0,
          cpusetCpus: h.cpusetCpus ?? '',
          cpusetMems: h.cpusetMems ?? '',
          hugepageLimits: [],
          unified: {},
          memorySwapLimitInBytes: h.memorySwap ?? 0,
        },
      },
    };
  }

  /** UpdateContainerResources: the limits change at once on a running container. @throws NotFound; InvalidArgument. */
  async updateResources(id: string, resources: criV1.LinuxContainerResources | undefined, opts: CallOptions) {
    const info = await this.get(id);
    await this.b.containers.update(info.id, resourcesOf(resources), opts);
  }

  /** Asks the container's monitor to reopen its log file (after kubelet rotated it). @throws NotFound; FailedPrecondition. */
  async reopenLog(id: string, opts: CallOptions): Promise<void> {
    const info = await this.get(id);
    if (!info.state.running) throw failedPrecondition(`container ${info.id} is not running`, { details: { id } });
    const task = await this.b.runtime.state(info.id, opts);
    if (!(await requestReopen(task.bundle))) {
      throw failedPrecondition(`the monitor of container ${info.id} does not answer`, { details: { id } });
    }
    // conmon reopens asynchronously: wait (briefly) until the new file is there.
    const path = readMeta<ContainerMeta>(info.config.labels).logPath || info.logPath;
    for (let i = 0; i < 50; i++) {
      if (
        await stat(path).then(
          () => true,
          () => false,
        )
      )
        return;
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  /**
   * Runs `cmd` in the container and collects its output. A timeout (seconds,
   * 0 = none) kills the process and raises DeadlineExceeded.
   * @throws NotFound; FailedPrecondition (not running); DeadlineExceeded.
   */
  async execSync(id: string, cmd: string[], timeout: number, opts: CallOptions): Promise<ExecResult> {
    const info = await this.get(id);
    if (cmd.length === 0) throw invalidArgument('ExecSync needs a command');
    const exec = await this.b.containers.createExec(info.id, {
      cmd,
      attachStdout: true,
      attachStderr: true,
    });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    const ac = new AbortController();
    const onAbort = () => ac.abort(opts.signal?.reason);
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    let timedOut = false;
    const timer =
      timeout > 0
        ? setTimeout(() => {
            timedOut = true;
            ac.abort(new Error('timeout'));
          }, timeout * 1000)
        : undefined;
    try {
      for await (const chunk of this.b.containers.startExec(exec.id, { signal: ac.signal })) {
        (chunk.stream === 'stderr' ? stderr : stdout).push(Buffer.from(chunk.data));
      }
    } catch (err) {
      if (!ac.signal.aborted) throw err;
    } finally {
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
    }
    const state = await this.b.containers.inspectExec(exec.id);
    if (ac.signal.aborted) {
      // Leaving the stream detaches; the process must not outlive the call.
      if (state.running && state.pid > 0) {
        try {
          process.kill(state.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      if (timedOut) {
        throw new TscrError('DeadlineExceeded', `command ${JSON.stringify(cmd)} timed out after ${timeout}s`, {
          details: { id: info.id },
        });
      }
      throw new TscrError('Cancelled', 'ExecSync cancelled');
    }
    return { stdout: Buffer.concat(stdout), stderr: Buffer.concat(stderr), exitCode: state.exitCode ?? 0 };
  }

  /** A CRI container by ID or unique prefix. @throws NotFound. */
  async get(id: string): Promise<ContainerInfo> {
    const info = await this.find(id);
    if (!info) throw notFound(`container ${JSON.stringify(id)} not found`, { details: { id } });
    return info;
  }

  private async find(id: string): Promise<ContainerInfo | undefined> {
    if (!id) throw invalidArgument('a container ID is required');
    try {
      const info = await this.b.containers.inspect(id);
      return info.config.labels?.[KIND_LABEL] === 'container' ? info : undefined;
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  private async imagesById(): Promise<Map<string, Image>> {
    return new Map((await this.b.images.list()).map((i) => [i.id, i]));
  }

  private summaryOf(
    c: ContainerSummary,
    meta: ContainerMeta,
    state: number,
    image: Image | undefined,
  ): criV1.Container {
    return {
      id: c.id,
      podSandboxId: c.labels[SANDBOX_LABEL] ?? meta.sandboxId,
      metadata: { name: meta.name, attempt: meta.attempt },
      image: { image: meta.image, annotations: {}, userSpecifiedImage: meta.image, runtimeHandler: '' },
      imageRef: image ? imageRefOf(image) : c.imageId,
      imageId: c.imageId,
      state,
      createdAt: meta.createdAt,
      labels: meta.labels,
      annotations: meta.annotations,
    };
  }
}
