/**
 * The daemon's transfer service over its own image and volume stores: sends
 * images and volumes to another daemon (reached through `connect`), receives
 * them from one, and serves blobs to peers.
 */
import { alreadyExists, failedPrecondition, invalidArgument, isNotFound, unimplemented } from '@tscr/api';
import type { Image } from '@tscr/api';
import { parseReference, verifyStream, type ImageSink, type ImageSource } from '@tscr/registry-client';
import type { VolumeService } from '@tscr/volume';
import type {
  BlobDescriptor,
  CallOptions,
  TransferProgress,
  TransferService,
  TransferStats,
  VolumeSpec,
} from '@tscr/api';
import { abortable } from './abortable.js';
import { packDirectory, unpackInto } from './volume-tar.js';

/** The image store the service reads and writes: blob access plus lookup by name or ID. */
export type TransferImageStore = ImageSink & ImageSource & { get(ref: string, opts?: CallOptions): Promise<Image> };

/** A transfer client of another daemon, closed after use. */
export type RemoteTransfer = TransferService & { close(): void };

/** Options of {@link LocalTransferService}. */
export interface LocalTransferOptions {
  /** The image layer with blob access; without it every image call raises Unimplemented. */
  images?: TransferImageStore;
  volumes: VolumeService;
  /** Opens a client of the daemon at `address`, with this daemon's TLS identity for TCP. */
  connect(address: string): RemoteTransfer;
}

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';

interface ManifestJson {
  mediaType?: string;
  config?: BlobDescriptor;
  layers?: BlobDescriptor[];
}

async function readAll(source: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const c of source) parts.push(c);
  return Buffer.concat(parts);
}

function checkDigest(digest: string): void {
  if (!/^sha256:[a-f0-9]{64}$/.test(digest)) throw invalidArgument(`malformed digest ${JSON.stringify(digest)}`);
}

/** See the module comment. */
export class LocalTransferService implements TransferService {
  private readonly counters: TransferStats = {
    blobsReceived: 0,
    blobBytesReceived: 0,
    blobsServed: 0,
    blobBytesServed: 0,
    volumeBytesReceived: 0,
  };

  constructor(private readonly options: LocalTransferOptions) {}

  private get images(): TransferImageStore {
    if (!this.options.images) throw unimplemented('image transfer with a remote image layer (no blob access)');
    return this.options.images;
  }

  /** The manifest, its blobs (config, then layers) and the names to record for `ref`. */
  private async plan(ref: string, opts: CallOptions) {
    const image = await this.images.get(ref, opts);
    const manifestRef = { digest: image.manifestDigest, size: 0, mediaType: OCI_MANIFEST };
    const bytes = await readAll(this.images.readBlob(manifestRef, opts));
    const json = JSON.parse(bytes.toString('utf8')) as ManifestJson;
    if (!json.config || !Array.isArray(json.layers))
      throw failedPrecondition(`image ${ref} has no single-platform manifest to send`);
    const manifest: BlobDescriptor = {
      mediaType: json.mediaType ?? OCI_MANIFEST,
      digest: image.manifestDigest,
      size: bytes.byteLength,
    };
    // A name given is what the target records; an ID sends every tag the image has.
    let named: string | undefined;
    try {
      named = parseReference(ref).normalized;
    } catch {
      named = undefined;
    }
    const names = named && image.repoTags.includes(named) ? [named] : image.repoTags;
    if (names.length === 0) throw failedPrecondition(`image ${ref} has no name to record on the target; tag it first`);
    return { manifest, blobs: [json.config, ...json.layers], names };
  }

  /** @inheritdoc */
  async *sendImages(refs: string[], target: string, opts: CallOptions = {}): AsyncGenerator<TransferProgress> {
    if (refs.length === 0) throw invalidArgument('transfer needs at least one image');
    const plans = [];
    for (const ref of refs) plans.push({ ref, ...(await this.plan(ref, opts)) });
    const remote = this.options.connect(target);
    try {
      for (const p of plans) {
        const all = [...p.blobs, p.manifest];
        const missing = new Set(
          await remote.missingBlobs(
            all.map((b) => b.digest),
            opts,
          ),
        );
        for (const blob of all) {
          if (!missing.has(blob.digest)) {
            yield { ref: p.ref, digest: blob.digest, status: 'Already exists', bytes: blob.size };
            continue;
          }
          yield { ref: p.ref, digest: blob.digest, status: 'Sending', bytes: blob.size };
          await remote.putBlob(blob, this.images.readBlob(blob, opts), opts);
          missing.delete(blob.digest);
          yield { ref: p.ref, digest: blob.digest, status: 'Sent', bytes: blob.size };
        }
        for (const name of p.names) await remote.recordImage(name, p.manifest, opts);
        yield { ref: p.ref, digest: '', status: 'Recorded', bytes: 0 };
      }
    } finally {
      remote.close();
    }
  }

  /** @inheritdoc */
  async sendVolume(name: string, target: string, opts: CallOptions = {}): Promise<{ bytes: number }> {
    const vol = await this.options.volumes.get(name, opts);
    if (vol.driver !== 'local')
      throw failedPrecondition(`volume ${name} has driver ${vol.driver}; only local volumes can be sent`);
    const remote = this.options.connect(target);
    try {
      const spec: VolumeSpec = { name, driver: vol.driver, labels: vol.labels };
      const bytes = await remote.putVolume(spec, packDirectory(vol.mountpoint, opts.signal), opts);
      return { bytes };
    } finally {
      remote.close();
    }
  }

  /** @inheritdoc */
  async missingBlobs(digests: string[], opts: CallOptions = {}): Promise<string[]> {
    const out: string[] = [];
    for (const d of digests) {
      checkDigest(d);
      if (!(await this.images.hasBlob(d, opts))) out.push(d);
    }
    return out;
  }

  /** @inheritdoc */
  async putBlob(desc: BlobDescriptor, data: AsyncIterable<Uint8Array>, opts: CallOptions = {}): Promise<number> {
    checkDigest(desc.digest);
    if (!Number.isSafeInteger(desc.size) || desc.size < 0)
      throw invalidArgument(`bad size ${desc.size} for ${desc.digest}`);
    let n = 0;
    const counters = this.counters;
    async function* counting() {
      for await (const chunk of abortable(data, opts.signal)) {
        n += chunk.byteLength;
        counters.blobBytesReceived += chunk.byteLength;
        yield chunk;
      }
    }
    // The store keeps the blob only if the verified stream ends cleanly.
    await this.images.writeBlob(desc, verifyStream(counting(), desc, 'transfer'), opts);
    counters.blobsReceived++;
    return n;
  }

  /** @inheritdoc */
  async recordImage(ref: string, manifest: BlobDescriptor, opts: CallOptions = {}): Promise<void> {
    checkDigest(manifest.digest);
    const parsed = parseReference(ref);
    if (!(await this.images.hasBlob(manifest.digest, opts)))
      throw failedPrecondition(`manifest ${manifest.digest} of ${ref} was not received`);
    // tag() checks that the config and every layer named by the manifest are stored.
    await this.images.tag(parsed, manifest, opts);
  }

  /** @inheritdoc */
  async putVolume(spec: VolumeSpec, data: AsyncIterable<Uint8Array>, opts: CallOptions = {}): Promise<number> {
    const { volumes } = this.options;
    if (spec.driver !== 'local') throw failedPrecondition(`cannot receive a volume of driver ${spec.driver}`);
    const existing = await volumes.get(spec.name, opts).catch((err: unknown) => {
      if (isNotFound(err)) return undefined;
      throw err;
    });
    if (existing)
      throw alreadyExists(`volume ${spec.name} already exists on this daemon`, { details: { volume: spec.name } });
    const vol = await volumes.create(spec.name, { labels: spec.labels, ...opts });
    try {
      return await unpackInto(vol.mountpoint, abortable(data, opts.signal), (n) => {
        this.counters.volumeBytesReceived += n;
      });
    } catch (err) {
      await volumes.remove(spec.name, { force: true }).catch(() => undefined);
      throw err;
    }
  }

  /** @inheritdoc */
  async *getBlob(digest: string, opts: CallOptions = {}): AsyncGenerator<Uint8Array> {
    checkDigest(digest);
    for await (const chunk of this.images.readBlob({ digest, size: 0, mediaType: '' }, opts)) {
      this.counters.blobBytesServed += chunk.byteLength;
      yield chunk;
    }
    this.counters.blobsServed++;
  }

  /** @inheritdoc */
  async stats(): Promise<TransferStats> {
    return { ...this.counters };
  }
}
