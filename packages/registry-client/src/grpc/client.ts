import {
  callServerStream,
  callUnary,
  clientChannelOptions,
  clientCredentials,
  parseEndpoint,
  registryV1,
} from '@tscr/api/grpc';
import type { CallOptions, Progress, Reference, RegistryClient } from '../types.js';
import { progressFromProto, referenceFromProto } from './convert.js';

/**
 * The registry layer over gRPC: the same {@link RegistryClient} contract,
 * served by `createRegistryServer` somewhere else. Errors arrive as the
 * TscrError the server raised; pull and push streams apply backpressure.
 */
export class GrpcRegistryClient implements RegistryClient {
  private readonly client: registryV1.RegistryClient;
  private readonly target: string;

  /** @param address `unix:///path`, `/path`, `tcp://host:port` or `host:port`. @throws InvalidArgument. */
  constructor(address: string) {
    const ep = parseEndpoint(address);
    this.target = ep.display;
    this.client = new registryV1.RegistryClient(ep.target, clientCredentials(), clientChannelOptions);
  }

  async parseReference(ref: string, opts?: CallOptions): Promise<Reference> {
    const res = await callUnary<registryV1.ParseReferenceResponse>(
      (cb) => this.client.parseReference({ ref }, cb),
      opts,
      this.target,
    );
    return referenceFromProto(res.reference);
  }

  async *pull(ref: string, opts?: CallOptions): AsyncGenerator<Progress, void, undefined> {
    for await (const msg of callServerStream(() => this.client.pull({ ref }), opts, this.target)) {
      yield progressFromProto(msg.progress);
    }
  }

  async *push(ref: string, opts?: CallOptions): AsyncGenerator<Progress, void, undefined> {
    for await (const msg of callServerStream(() => this.client.push({ ref }), opts, this.target)) {
      yield progressFromProto(msg.progress);
    }
  }

  /** Closes the channel. */
  close(): void {
    this.client.close();
  }
}
