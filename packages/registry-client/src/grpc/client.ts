import { callServerStream, callUnary, clientChannel, registryV1 } from '@tscr/api/grpc';
import type { DaemonAddress } from '@tscr/api/grpc';
import type { CallOptions, Progress, Reference, RegistryClient } from '../types.js';
import {
  authToProto,
  loginResultFromProto,
  platformToProto,
  progressFromProto,
  referenceFromProto,
} from './convert.js';
import type { LoginResult, RegistryAuth, RegistryRequestOptions, RegistryService } from './options.js';

/**
 * The registry layer over gRPC: the same {@link RegistryClient} contract,
 * served by `createRegistryServer` somewhere else; pull and push send the
 * credentials and platform of their {@link RegistryRequestOptions}. Errors arrive as the
 * TscrError the server raised; pull and push streams apply backpressure.
 */
export class GrpcRegistryClient implements RegistryService {
  private readonly client: registryV1.RegistryClient;
  private readonly target: string;

  /** @param address `unix:///path`, `/path`, `tcp://host:port` or `host:port`. @throws InvalidArgument. */
  constructor(address: DaemonAddress) {
    const ch = clientChannel(address);
    this.target = ch.display;
    this.client = new registryV1.RegistryClient(ch.target, ch.credentials, ch.options);
  }

  async parseReference(ref: string, opts?: CallOptions): Promise<Reference> {
    const res = await callUnary<registryV1.ParseReferenceResponse>(
      (cb) => this.client.parseReference({ ref }, cb),
      opts,
      this.target,
    );
    return referenceFromProto(res.reference);
  }

  async *pull(ref: string, opts: RegistryRequestOptions = {}): AsyncGenerator<Progress, void, undefined> {
    const req: registryV1.PullRequest = { ref, auth: authToProto(opts.auth), platform: platformToProto(opts.platform) };
    for await (const msg of callServerStream(() => this.client.pull(req), opts, this.target)) {
      yield progressFromProto(msg.progress);
    }
  }

  async *push(ref: string, opts: RegistryRequestOptions = {}): AsyncGenerator<Progress, void, undefined> {
    const req: registryV1.PushRequest = { ref, auth: authToProto(opts.auth) };
    for await (const msg of callServerStream(() => this.client.push(req), opts, this.target)) {
      yield progressFromProto(msg.progress);
    }
  }

  /** @throws as the server's `listTags`; Unimplemented when the server cannot list tags. */
  async listTags(repository: string, opts: RegistryRequestOptions = {}): Promise<string[]> {
    const req: registryV1.ListTagsRequest = { repository, auth: authToProto(opts.auth) };
    const res = await callUnary<registryV1.ListTagsResponse>((cb) => this.client.listTags(req, cb), opts, this.target);
    return res.tags;
  }

  /** @throws Unauthenticated when refused; Unavailable when unreachable; Unimplemented when the server cannot log in. */
  async login(registry: string, auth: RegistryAuth, opts?: CallOptions): Promise<LoginResult> {
    const req: registryV1.LoginRequest = { registry, username: auth.username ?? '', password: auth.password ?? '' };
    const res = await callUnary<registryV1.LoginResponse>((cb) => this.client.login(req, cb), opts, this.target);
    return loginResultFromProto(res);
  }

  /** Closes the channel. */
  close(): void {
    this.client.close();
  }
}
