import {
  internal,
  type ContainerInfo,
  type ContainerSummary,
  type ExitStatus,
  type Image,
  type LogEntry,
} from '@tscr/api';
import { imageFromProto } from '@tscr/image/grpc';
import { callServerStream, callUnary, clientChannel, containersV1 } from '@tscr/api/grpc';
import type { DaemonAddress } from '@tscr/api/grpc';
import type {
  AttachOptions,
  CallOptions,
  CommitOptions,
  ContainerService,
  CreateContainerRequest,
  LogsOptions,
  WaitCondition,
} from '../types.js';
import {
  configToProto,
  exitStatusFromProto,
  hostConfigToProto,
  infoFromProto,
  logEntryFromProto,
  summaryFromProto,
} from './convert.js';
import { endpointsToProto } from './network-convert.js';
import { GrpcContainerControl } from './control.js';
import { GrpcContainerStdio } from './stdio-client.js';
import { commitToProto } from './commit-convert.js';

/** A {@link ContainerService} served by a tscr daemon (or a container layer) over gRPC. */
export class GrpcContainerService implements ContainerService {
  private readonly client: containersV1.ContainersClient;
  private readonly target: string;

  /** @param address `unix:///path` or `host:port`. @throws InvalidArgument for a malformed address. */
  constructor(address: DaemonAddress) {
    const ch = clientChannel(address);
    this.target = ch.display;
    this.client = new containersV1.ContainersClient(ch.target, ch.credentials, ch.options);
  }

  async create(req: CreateContainerRequest, opts: CallOptions = {}): Promise<{ id: string; warnings: string[] }> {
    const request = {
      name: req.name ?? '',
      config: configToProto(req.config),
      hostConfig: hostConfigToProto(req.hostConfig),
      networkingConfig: endpointsToProto(req.networkingConfig),
      logPath: req.logPath ?? '',
    };
    const res = await callUnary<containersV1.CreateContainerResponse>(
      (cb) => this.client.createContainer(request, cb),
      opts,
      this.target,
    );
    return { id: res.id, warnings: res.warnings };
  }

  async start(id: string, opts: CallOptions = {}): Promise<void> {
    await callUnary((cb) => this.client.startContainer({ id }, cb), opts, this.target);
  }

  async stop(id: string, opts: CallOptions & { timeout?: number } = {}): Promise<void> {
    const request = { id, timeout: opts.timeout ?? 0, hasTimeout: opts.timeout !== undefined };
    await callUnary((cb) => this.client.stopContainer(request, cb), opts, this.target);
  }

  async kill(id: string, signal?: string, opts: CallOptions = {}): Promise<void> {
    await callUnary((cb) => this.client.killContainer({ id, signal: signal ?? '' }, cb), opts, this.target);
  }

  async wait(id: string, opts: CallOptions & { condition?: WaitCondition } = {}): Promise<ExitStatus> {
    const res = await callUnary<containersV1.WaitContainerResponse>(
      (cb) => this.client.waitContainer({ id, condition: opts.condition ?? '' }, cb),
      opts,
      this.target,
    );
    return exitStatusFromProto(res.exitStatus);
  }

  async remove(id: string, opts: CallOptions & { force?: boolean; volumes?: boolean } = {}): Promise<void> {
    const request = { id, force: Boolean(opts.force), volumes: Boolean(opts.volumes) };
    await callUnary((cb) => this.client.removeContainer(request, cb), opts, this.target);
  }

  async list(opts: CallOptions & { all?: boolean } = {}): Promise<ContainerSummary[]> {
    const res = await callUnary<containersV1.ListContainersResponse>(
      (cb) => this.client.listContainers({ all: Boolean(opts.all) }, cb),
      opts,
      this.target,
    );
    return res.containers.map(summaryFromProto);
  }

  async commit(id: string, opts: CommitOptions = {}): Promise<Image> {
    const res = await callUnary<containersV1.CommitContainerResponse>(
      (cb) => this.client.commitContainer(commitToProto(id, opts), cb),
      opts,
      this.target,
    );
    if (!res.image) throw internal('malformed response from the container service: missing image');
    return imageFromProto(res.image);
  }

  async inspect(id: string, opts: CallOptions = {}): Promise<ContainerInfo> {
    const res = await callUnary<containersV1.InspectContainerResponse>(
      (cb) => this.client.inspectContainer({ id }, cb),
      opts,
      this.target,
    );
    return infoFromProto(res.container);
  }

  async *logs(id: string, opts: LogsOptions = {}): AsyncGenerator<LogEntry> {
    const request = {
      id,
      follow: Boolean(opts.follow),
      stdout: opts.stdout ?? true,
      stderr: opts.stderr ?? true,
      tail: opts.tail ?? -1,
      since: opts.since ?? '',
      until: opts.until ?? '',
    };
    const stream = callServerStream<containersV1.ContainerLogsResponse>(
      () => this.client.containerLogs(request),
      opts,
      this.target,
    );
    for await (const res of stream) {
      const entry = logEntryFromProto(res.entry);
      if (entry) yield entry;
    }
  }

  async *attach(id: string, opts: AttachOptions = {}): AsyncGenerator<LogEntry> {
    const request = { id, stdout: opts.stdout ?? true, stderr: opts.stderr ?? true };
    const stream = callServerStream<containersV1.AttachContainerResponse>(
      () => this.client.attachContainer(request),
      opts,
      this.target,
    );
    let attached = false;
    for await (const res of stream) {
      if (!attached) {
        attached = true;
        opts.onAttached?.();
      }
      const entry = logEntryFromProto(res.entry);
      if (entry) yield entry;
    }
  }

  private get stdio(): GrpcContainerStdio {
    return new GrpcContainerStdio(() => this.client, this.target);
  }
  attachStdio: GrpcContainerStdio['attachStdio'] = (id, opts) => this.stdio.attachStdio(id, opts);
  resize: GrpcContainerStdio['resize'] = (id, size, opts) => this.stdio.resize(id, size, opts);
  createExec: GrpcContainerStdio['createExec'] = (id, config, opts) => this.stdio.createExec(id, config, opts);
  startExec: GrpcContainerStdio['startExec'] = (execId, opts) => this.stdio.startExec(execId, opts);
  inspectExec: GrpcContainerStdio['inspectExec'] = (execId, opts) => this.stdio.inspectExec(execId, opts);
  resizeExec: GrpcContainerStdio['resizeExec'] = (execId, size, opts) => this.stdio.resizeExec(execId, size, opts);

  /** Closes the channel; calls in flight fail with Cancelled or Unavailable. */
  private get control(): GrpcContainerControl {
    return new GrpcContainerControl(() => this.client, this.target);
  }
  update: GrpcContainerControl['update'] = (id, resources, opts) => this.control.update(id, resources, opts);
  pause: GrpcContainerControl['pause'] = (id, opts) => this.control.pause(id, opts);
  unpause: GrpcContainerControl['unpause'] = (id, opts) => this.control.unpause(id, opts);
  restart: GrpcContainerControl['restart'] = (id, opts) => this.control.restart(id, opts);
  rename: GrpcContainerControl['rename'] = (id, name, opts) => this.control.rename(id, name, opts);
  connectNetwork: GrpcContainerControl['connectNetwork'] = (id, network, opts) =>
    this.control.connectNetwork(id, network, opts);
  disconnectNetwork: GrpcContainerControl['disconnectNetwork'] = (id, network, opts) =>
    this.control.disconnectNetwork(id, network, opts);
  top: GrpcContainerControl['top'] = (id, opts) => this.control.top(id, opts);
  stats: GrpcContainerControl['stats'] = (id, opts) => this.control.stats(id, opts);
  changes: GrpcContainerControl['changes'] = (id, opts) => this.control.changes(id, opts);
  export: GrpcContainerControl['export'] = (id, opts) => this.control.export(id, opts);
  statPath: GrpcContainerControl['statPath'] = (id, path, opts) => this.control.statPath(id, path, opts);
  getArchive: GrpcContainerControl['getArchive'] = (id, path, opts) => this.control.getArchive(id, path, opts);
  putArchive: GrpcContainerControl['putArchive'] = (id, path, tar, opts) =>
    this.control.putArchive(id, path, tar, opts);

  close(): void {
    this.client.close();
  }
}
