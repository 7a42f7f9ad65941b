import * as transferV1 from '../../gen/tscr/transfer/v1/transfer.js';
import { callClientStream, callServerStream, callUnary } from './call.js';
import { clientChannel, type DaemonAddress } from './address.js';
import type { CallOptions } from '../types/call.js';
import type {
  BlobDescriptor,
  TransferProgress,
  TransferService,
  TransferStats,
  VolumeSpec,
} from '../types/transfer.js';

/** Data messages of about 1 MiB: few enough per second to keep per-message costs low, well under the limit. */
const MESSAGE_BYTES = 1024 * 1024;

/**
 * Re-cuts a byte stream into messages of `MESSAGE_BYTES` (tar writes 64 KiB
 * pieces, and each message has a fixed cost on both sides).
 */
async function* messageSized(data: AsyncIterable<Uint8Array>): AsyncGenerator<Buffer> {
  let parts: Uint8Array[] = [];
  let held = 0;
  for await (const chunk of data) {
    parts.push(chunk);
    held += chunk.byteLength;
    while (held >= MESSAGE_BYTES) {
      const all = Buffer.concat(parts, held);
      yield all.subarray(0, MESSAGE_BYTES);
      parts = held > MESSAGE_BYTES ? [all.subarray(MESSAGE_BYTES)] : [];
      held -= MESSAGE_BYTES;
    }
  }
  if (held > 0) yield Buffer.concat(parts, held);
}

/** A {@link TransferService} of a daemon reached over gRPC. */
export class GrpcTransferService implements TransferService {
  private readonly client: transferV1.TransferClient;
  private readonly target: string;

  /** @param address a daemon address, with TLS material for TCP. @throws InvalidArgument for a malformed address. */
  constructor(address: DaemonAddress) {
    const ch = clientChannel(address);
    this.target = ch.display;
    this.client = new transferV1.TransferClient(ch.target, ch.credentials, ch.options);
  }

  /** @inheritdoc */
  async *sendImages(refs: string[], target: string, opts: CallOptions = {}): AsyncGenerator<TransferProgress> {
    yield* callServerStream<transferV1.SendImagesResponse>(
      () => this.client.sendImages({ refs, target }),
      opts,
      this.target,
    );
  }

  /** @inheritdoc */
  async sendVolume(name: string, target: string, opts: CallOptions = {}): Promise<{ bytes: number }> {
    return callUnary<transferV1.SendVolumeResponse>(
      (cb) => this.client.sendVolume({ name, target }, cb),
      opts,
      this.target,
    );
  }

  /** @inheritdoc */
  async missingBlobs(digests: string[], opts: CallOptions = {}): Promise<string[]> {
    const res = await callUnary<transferV1.MissingBlobsResponse>(
      (cb) => this.client.missingBlobs({ digests }, cb),
      opts,
      this.target,
    );
    return res.missing;
  }

  /** @inheritdoc */
  async putBlob(desc: BlobDescriptor, data: AsyncIterable<Uint8Array>, opts: CallOptions = {}): Promise<number> {
    async function* messages(): AsyncGenerator<transferV1.PutBlobRequest> {
      yield { descriptor: desc, data: Buffer.alloc(0) };
      for await (const p of messageSized(data)) yield { data: p };
    }
    const res = await callClientStream<transferV1.PutBlobRequest, transferV1.PutBlobResponse>(
      (cb) => this.client.putBlob(cb),
      messages(),
      opts,
      this.target,
    );
    return res.received;
  }

  /** @inheritdoc */
  async recordImage(ref: string, manifest: BlobDescriptor, opts: CallOptions = {}): Promise<void> {
    await callUnary((cb) => this.client.recordImage({ ref, manifest }, cb), opts, this.target);
  }

  /** @inheritdoc */
  async putVolume(spec: VolumeSpec, data: AsyncIterable<Uint8Array>, opts: CallOptions = {}): Promise<number> {
    async function* messages(): AsyncGenerator<transferV1.PutVolumeRequest> {
      yield { name: spec.name, driver: spec.driver, labels: spec.labels, data: Buffer.alloc(0) };
      for await (const p of messageSized(data)) yield { name: '', driver: '', labels: {}, data: p };
    }
    const res = await callClientStream<transferV1.PutVolumeRequest, transferV1.PutVolumeResponse>(
      (cb) => this.client.putVolume(cb),
      messages(),
      opts,
      this.target,
    );
    return res.received;
  }

  /** @inheritdoc */
  async *getBlob(digest: string, opts: CallOptions = {}): AsyncGenerator<Uint8Array> {
    for await (const msg of callServerStream<transferV1.GetBlobResponse>(
      () => this.client.getBlob({ digest }),
      opts,
      this.target,
    ))
      yield msg.data;
  }

  /** @inheritdoc */
  async stats(opts: CallOptions = {}): Promise<TransferStats> {
    return callUnary<transferV1.StatsResponse>((cb) => this.client.stats({}, cb), opts, this.target);
  }

  /** Closes the channel. */
  close(): void {
    this.client.close();
  }
}
