import type { ContainerInfo, ContainerSummary, ExitStatus, LogEntry } from '@tscr/api';
import {
  callServerStream,
  callUnary,
  clientChannelOptions,
  clientCredentials,
  containersV1,
  parseEndpoint,
} from '@tscr/api/grpc';
import type {
  AttachOptions,
  CallOptions,
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

/** A {@link ContainerService} served by a tscr daemon (or a container layer) over gRPC. */
export class GrpcContainerService implements ContainerService {
  private readonly client: containersV1.ContainersClient;
  private readonly target: string;

  /** @param address `unix:///path` or `host:port`. @throws InvalidArgument for a malformed address. */
  constructor(address: string) {
    const endpoint = parseEndpoint(address);
    this.target = endpoint.display;
    this.client = new containersV1.ContainersClient(endpoint.target, clientCredentials(), clientChannelOptions);
  }

  async create(req: CreateContainerRequest, opts: CallOptions = {}): Promise<{ id: string; warnings: string[] }> {
    const request = {
      name: req.name ?? '',
      config: configToProto(req.config),
      hostConfig: hostConfigToProto(req.hostConfig),
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

  /** Closes the channel; calls in flight fail with Cancelled or Unavailable. */
  close(): void {
    this.client.close();
  }
}
