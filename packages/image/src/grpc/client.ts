import type { ChannelOptions } from '@grpc/grpc-js';
import { internal, type Image, type ImageDeleteResult, type Mount } from '@tscr/api';
import { callClientStream, callServerStream, callUnary, clientChannel, imagesV1 } from '@tscr/api/grpc';
import type { DaemonAddress } from '@tscr/api/grpc';
import type {
  CallOptions,
  HistoryEntry,
  ImageService,
  ImportOptions,
  LoadedImage,
  PruneOptions,
  PruneResult,
  SaveOptions,
} from '../types.js';
import type { DiffOptions, LayerInfo, NewImage } from '../types.js';
import { historyFromProto, loadedFromProto, pruneFromProto } from './archive-convert.js';
import { diffRequestToProto, layerFromProto, newImageToProto } from './layer-convert.js';
import { deleteResultFromProto, imageFromProto, importOptionsToProto, mountFromProto } from './convert.js';

/** Largest tar chunk sent in one ImportImage message (well under any message limit). */
const MAX_CHUNK = 256 * 1024;

/** Options of {@link GrpcImageService}. */
export interface GrpcImageServiceOptions {
  /** Extra grpc-js channel options, merged over tscr's defaults. */
  channelOptions?: ChannelOptions;
}

/**
 * {@link ImageService} over gRPC: the same contract as the local service,
 * with errors arriving as the same TscrError codes. Imports stream the tar
 * in chunks and wait for the transport to drain, so memory stays bounded.
 */
export class GrpcImageService implements ImageService {
  private readonly client: imagesV1.ImagesClient;
  private readonly display: string;

  /** @param address `unix:///path`, `/path`, `tcp://host:port` or `host:port`. @throws InvalidArgument. */
  constructor(address: DaemonAddress, options: GrpcImageServiceOptions = {}) {
    const ch = clientChannel(address, options.channelOptions);
    this.display = ch.display;
    this.client = new imagesV1.ImagesClient(ch.target, ch.credentials, ch.options);
  }

  /** @inheritdoc */
  async list(opts: CallOptions = {}): Promise<Image[]> {
    const res = await callUnary<imagesV1.ListImagesResponse>(
      (cb) => this.client.listImages({}, cb),
      opts,
      this.display,
    );
    return res.images.map(imageFromProto);
  }

  /** @inheritdoc */
  async get(ref: string, opts: CallOptions = {}): Promise<Image> {
    const res = await callUnary<imagesV1.GetImageResponse>(
      (cb) => this.client.getImage({ ref }, cb),
      opts,
      this.display,
    );
    return imageFromProto(required(res.image));
  }

  /** @inheritdoc */
  async tag(source: string, target: string, opts: CallOptions = {}): Promise<void> {
    await callUnary<imagesV1.TagImageResponse>(
      (cb) => this.client.tagImage({ source, target }, cb),
      opts,
      this.display,
    );
  }

  /** @inheritdoc */
  async remove(ref: string, opts: CallOptions & { force?: boolean } = {}): Promise<ImageDeleteResult[]> {
    const res = await callUnary<imagesV1.RemoveImageResponse>(
      (cb) => this.client.removeImage({ ref, force: opts.force === true }, cb),
      opts,
      this.display,
    );
    return res.results.map(deleteResultFromProto);
  }

  /** @inheritdoc */
  async importTar(tar: AsyncIterable<Uint8Array>, opts: ImportOptions = {}): Promise<Image> {
    async function* messages(): AsyncGenerator<imagesV1.ImportImageRequest, void, undefined> {
      yield { options: importOptionsToProto(opts) };
      for await (const chunk of tar) {
        for (let at = 0; at < chunk.byteLength; at += MAX_CHUNK) {
          const length = Math.min(MAX_CHUNK, chunk.byteLength - at);
          yield { chunk: Buffer.from(chunk.buffer, chunk.byteOffset + at, length) };
        }
      }
    }
    const res = await callClientStream<imagesV1.ImportImageRequest, imagesV1.ImportImageResponse>(
      (cb) => this.client.importImage(cb),
      messages(),
      opts,
      this.display,
    );
    return imageFromProto(required(res.image));
  }

  /** @inheritdoc */
  async prepare(key: string, image: string, opts: CallOptions = {}): Promise<Mount[]> {
    const res = await callUnary<imagesV1.PrepareSnapshotResponse>(
      (cb) => this.client.prepareSnapshot({ key, image }, cb),
      opts,
      this.display,
    );
    return res.mounts.map(mountFromProto);
  }

  /** @inheritdoc */
  async mounts(key: string, opts: CallOptions = {}): Promise<Mount[]> {
    const res = await callUnary<imagesV1.SnapshotMountsResponse>(
      (cb) => this.client.snapshotMounts({ key }, cb),
      opts,
      this.display,
    );
    return res.mounts.map(mountFromProto);
  }

  /** @inheritdoc */
  async removeSnapshot(key: string, opts: CallOptions = {}): Promise<void> {
    await callUnary<imagesV1.RemoveSnapshotResponse>(
      (cb) => this.client.removeSnapshot({ key }, cb),
      opts,
      this.display,
    );
  }

  /** @inheritdoc */
  async *save(refs: string[], opts: SaveOptions = {}): AsyncGenerator<Uint8Array, void, undefined> {
    const format = opts.format ?? 'docker-archive';
    const stream = callServerStream<imagesV1.SaveImagesResponse>(
      () => this.client.saveImages({ refs, format }),
      opts,
      this.display,
    );
    for await (const msg of stream) if (msg.chunk.length > 0) yield msg.chunk;
  }

  /** @inheritdoc */
  async load(tar: AsyncIterable<Uint8Array>, opts: CallOptions = {}): Promise<LoadedImage[]> {
    async function* messages(): AsyncGenerator<imagesV1.LoadImagesRequest, void, undefined> {
      for await (const chunk of tar) {
        for (let at = 0; at < chunk.byteLength; at += MAX_CHUNK) {
          const length = Math.min(MAX_CHUNK, chunk.byteLength - at);
          yield { chunk: Buffer.from(chunk.buffer, chunk.byteOffset + at, length) };
        }
      }
    }
    const res = await callClientStream<imagesV1.LoadImagesRequest, imagesV1.LoadImagesResponse>(
      (cb) => this.client.loadImages(cb),
      messages(),
      opts,
      this.display,
    );
    return res.images.map(loadedFromProto);
  }

  /** @inheritdoc */
  async history(ref: string, opts: CallOptions = {}): Promise<HistoryEntry[]> {
    const res = await callUnary<imagesV1.ImageHistoryResponse>(
      (cb) => this.client.imageHistory({ ref }, cb),
      opts,
      this.display,
    );
    return res.steps.map(historyFromProto);
  }

  /** @inheritdoc */
  async prune(opts: PruneOptions = {}): Promise<PruneResult> {
    const res = await callUnary<imagesV1.PruneImagesResponse>(
      (cb) =>
        this.client.pruneImages(
          {
            all: opts.all === true,
            filters: opts.filters ?? [],
            liveSnapshots: opts.liveSnapshots ?? [],
            hasLiveSnapshots: opts.liveSnapshots !== undefined,
          },
          cb,
        ),
      opts,
      this.display,
    );
    return pruneFromProto(res);
  }

  /** @inheritdoc */
  async diff(key: string, opts: DiffOptions = {}): Promise<LayerInfo> {
    const res = await callUnary<imagesV1.DiffSnapshotResponse>(
      (cb) => this.client.diffSnapshot(diffRequestToProto(key, opts), cb),
      opts,
      this.display,
    );
    if (!res.layer) throw internal('malformed response from the image service: missing layer');
    return layerFromProto(res.layer);
  }

  /** @inheritdoc */
  async createImage(req: NewImage, opts: CallOptions = {}): Promise<Image> {
    const res = await callUnary<imagesV1.CreateImageResponse>(
      (cb) => this.client.createImage(newImageToProto(req), cb),
      opts,
      this.display,
    );
    return imageFromProto(required(res.image));
  }

  /** Closes the channel; later calls fail. */
  close(): void {
    this.client.close();
  }
}

function required<T>(value: T | undefined): T {
  if (value === undefined) throw internal('malformed response from the image service: missing image');
  return value;
}
