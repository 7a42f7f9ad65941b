import { callUnary, clientChannelOptions, clientCredentials, networkV1, parseEndpoint } from '@tscr/api/grpc';
import type { CallOptions, CreateNetworkOptions, Network, NetworkAttachment, NetworkService } from '../types.js';
import { attachmentFromProto, networkFromProto } from './convert.js';

/**
 * The network layer over gRPC: the same {@link NetworkService} contract,
 * served by `createNetworkServer` somewhere else. Errors arrive as the
 * TscrError the server raised (NotFound stays NotFound).
 */
export class GrpcNetworkService implements NetworkService {
  private readonly client: networkV1.NetworksClient;
  private readonly target: string;

  /** @param address `unix:///path`, `/path`, `tcp://host:port` or `host:port`. @throws InvalidArgument. */
  constructor(address: string) {
    const ep = parseEndpoint(address);
    this.target = ep.display;
    this.client = new networkV1.NetworksClient(ep.target, clientCredentials(), clientChannelOptions);
  }

  async list(opts?: CallOptions): Promise<Network[]> {
    const res = await callUnary<networkV1.ListNetworksResponse>(
      (cb) => this.client.listNetworks({}, cb),
      opts,
      this.target,
    );
    return res.networks.map(networkFromProto);
  }

  async get(name: string, opts?: CallOptions): Promise<Network> {
    const res = await callUnary<networkV1.GetNetworkResponse>(
      (cb) => this.client.getNetwork({ name }, cb),
      opts,
      this.target,
    );
    return networkFromProto(res.network);
  }

  async create(name: string, opts: CreateNetworkOptions = {}): Promise<Network> {
    const req: networkV1.CreateNetworkRequest = { name, driver: opts.driver ?? '', labels: opts.labels ?? {} };
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

  async attach(containerId: string, networkMode: string, opts?: CallOptions): Promise<NetworkAttachment> {
    const res = await callUnary<networkV1.AttachResponse>(
      (cb) => this.client.attach({ containerId, networkMode }, cb),
      opts,
      this.target,
    );
    return attachmentFromProto(res);
  }

  async detach(containerId: string, opts?: CallOptions): Promise<void> {
    await callUnary((cb) => this.client.detach({ containerId }, cb), opts, this.target);
  }

  /** Closes the channel. */
  close(): void {
    this.client.close();
  }
}
