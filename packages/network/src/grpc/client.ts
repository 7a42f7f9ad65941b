import { callUnary, clientChannel, networkV1 } from '@tscr/api/grpc';
import type { DaemonAddress } from '@tscr/api/grpc';
import type {
  AttachOptions,
  CallOptions,
  ConnectOptions,
  CreateNetworkOptions,
  Endpoint,
  GetNetworkOptions,
  Network,
  NetworkAttachment,
  NetworkService,
} from '../types.js';
import {
  attachmentFromProto,
  endpointFromProto,
  endpointRequestToProto,
  networkFromProto,
  portToProto,
} from './convert.js';

/**
 * The network layer over gRPC: the same {@link NetworkService} contract,
 * served by `createNetworkServer` somewhere else. Errors arrive as the
 * TscrError the server raised (NotFound stays NotFound).
 */
export class GrpcNetworkService implements NetworkService {
  private readonly client: networkV1.NetworksClient;
  private readonly target: string;

  /** @param address `unix:///path`, `/path`, `tcp://host:port` or `host:port`. @throws InvalidArgument. */
  constructor(address: DaemonAddress) {
    const ch = clientChannel(address);
    this.target = ch.display;
    this.client = new networkV1.NetworksClient(ch.target, ch.credentials, ch.options);
  }

  async list(opts?: CallOptions): Promise<Network[]> {
    const res = await callUnary<networkV1.ListNetworksResponse>(
      (cb) => this.client.listNetworks({}, cb),
      opts,
      this.target,
    );
    return res.networks.map(networkFromProto);
  }

  async get(name: string, opts?: GetNetworkOptions): Promise<Network> {
    const res = await callUnary<networkV1.GetNetworkResponse>(
      (cb) => this.client.getNetwork({ name, driverInfo: Boolean(opts?.driverInfo) }, cb),
      opts,
      this.target,
    );
    return networkFromProto(res.network);
  }

  async create(name: string, opts: CreateNetworkOptions = {}): Promise<Network> {
    const req: networkV1.CreateNetworkRequest = {
      name,
      driver: opts.driver ?? '',
      labels: opts.labels ?? {},
      subnet: opts.subnet ?? '',
      gateway: opts.gateway ?? '',
      ipRange: opts.ipRange ?? '',
      internal: Boolean(opts.internal),
      options: opts.options ?? {},
      ipamDriver: opts.ipamDriver ?? '',
      ipamOptions: opts.ipamOptions ?? {},
    };
    const res = await callUnary<networkV1.CreateNetworkResponse>(
      (cb) => this.client.createNetwork(req, cb),
      opts,
      this.target,
    );
    return networkFromProto(res.network);
  }

  async remove(name: string, opts?: CallOptions): Promise<void> {
    await callUnary((cb) => this.client.removeNetwork({ name }, cb), opts, this.target);
  }

  async prune(opts?: CallOptions): Promise<string[]> {
    const res = await callUnary<networkV1.PruneNetworksResponse>(
      (cb) => this.client.pruneNetworks({}, cb),
      opts,
      this.target,
    );
    return res.removed;
  }

  async attach(containerId: string, networkMode: string, opts: AttachOptions = {}): Promise<NetworkAttachment> {
    const req: networkV1.AttachRequest = {
      containerId,
      networkMode,
      name: opts.name ?? '',
      endpoints: (opts.endpoints ?? []).map(endpointRequestToProto),
      ports: (opts.ports ?? []).map(portToProto),
    };
    const res = await callUnary<networkV1.AttachResponse>((cb) => this.client.attach(req, cb), opts, this.target);
    return attachmentFromProto(res);
  }

  async detach(containerId: string, opts?: CallOptions): Promise<void> {
    await callUnary((cb) => this.client.detach({ containerId }, cb), opts, this.target);
  }

  async connect(containerId: string, network: string, opts: ConnectOptions = {}): Promise<Endpoint> {
    const req: networkV1.ConnectRequest = {
      containerId,
      network,
      name: opts.name ?? '',
      aliases: [...(opts.aliases ?? [])],
      ip: opts.ip ?? '',
    };
    const res = await callUnary<networkV1.ConnectResponse>((cb) => this.client.connect(req, cb), opts, this.target);
    return endpointFromProto(res.endpoint);
  }

  async disconnect(containerId: string, network: string, opts?: CallOptions): Promise<void> {
    await callUnary((cb) => this.client.disconnect({ containerId, network }, cb), opts, this.target);
  }

  async attachment(containerId: string, opts?: CallOptions): Promise<NetworkAttachment | undefined> {
    const res = await callUnary<networkV1.GetAttachmentResponse>(
      (cb) => this.client.getAttachment({ containerId }, cb),
      opts,
      this.target,
    );
    return res.attachment ? attachmentFromProto(res.attachment) : undefined;
  }

  /** Closes the channel. */
  close(): void {
    this.client.close();
  }
}
