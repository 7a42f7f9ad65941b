import type { ChannelOptions } from '@grpc/grpc-js';
import { builderV1, callClientStream, callServerStream, clientChannel } from '@tscr/api/grpc';
import type { DaemonAddress } from '@tscr/api/grpc';
import type { BuildEvent, BuildOptions, BuilderService } from '../types.js';
import { buildRequestToProto, eventFromProto } from './convert.js';

/** Largest context chunk sent in one message. */
const MAX_CHUNK = 256 * 1024;

/** Options of {@link GrpcBuilderService}. */
export interface GrpcBuilderServiceOptions {
  channelOptions?: ChannelOptions;
}

/**
 * {@link BuilderService} over gRPC: the context streams up (waiting for
 * the transport to drain), then the build's events stream back.
 */
export class GrpcBuilderService implements BuilderService {
  private readonly client: builderV1.BuilderClient;
  private readonly display: string;

  /** @param address `unix:///path`, `/path`, `tcp://host:port` or `host:port`. @throws InvalidArgument. */
  constructor(address: DaemonAddress, options: GrpcBuilderServiceOptions = {}) {
    const ch = clientChannel(address, options.channelOptions);
    this.display = ch.display;
    this.client = new builderV1.BuilderClient(ch.target, ch.credentials, ch.options);
  }

  /** @inheritdoc */
  async *build(
    context: AsyncIterable<Uint8Array>,
    opts: BuildOptions = {},
  ): AsyncGenerator<BuildEvent, void, undefined> {
    async function* messages(): AsyncGenerator<builderV1.UploadContextRequest, void, undefined> {
      for await (const chunk of context) {
        for (let at = 0; at < chunk.byteLength; at += MAX_CHUNK) {
          const length = Math.min(MAX_CHUNK, chunk.byteLength - at);
          yield { chunk: Buffer.from(chunk.buffer, chunk.byteOffset + at, length) };
        }
      }
    }
    const uploaded = await callClientStream<builderV1.UploadContextRequest, builderV1.UploadContextResponse>(
      (cb) => this.client.uploadContext(cb),
      messages(),
      opts,
      this.display,
    );
    const stream = callServerStream<builderV1.BuildEvent>(
      () => this.client.build(buildRequestToProto(uploaded.contextId, opts)),
      opts,
      this.display,
    );
    for await (const e of stream) yield eventFromProto(e);
  }

  /** Closes the channel; later calls fail. */
  close(): void {
    this.client.close();
  }
}
