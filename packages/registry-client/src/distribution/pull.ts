import { failpoint } from '@tscr/api';
import { parseReference } from '../reference/parse.js';
import type { Platform } from '../manifest/types.js';
import { runAll } from '../transport/limit.js';
import type { BlobSource, CallOptions, Descriptor, ImageSink, Progress, Reference } from '../types.js';
import type { DistributionClient } from './client.js';
import { verifyStream } from './digest.js';
import { counted, reportProgress } from './progress.js';

/** Options of {@link pullImage}. */
export interface PullOptions extends CallOptions {
  /** The platform to pull from an index; default this host's. */
  platform?: Platform;
  /** Layers downloaded at once. Default 3. */
  concurrency?: number;
  /** Asked for each missing layer before the registry (peers); its bytes are verified all the same. */
  blobSource?: BlobSource;
}

async function* once(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  yield bytes;
}

/**
 * Stores `desc` from `source` when it has it, verified; false when it has not,
 * or sent bytes that do not match (the sink discarded them), so the caller
 * goes on to the registry. Cancellation still ends the pull.
 */
async function fromSource(
  source: BlobSource,
  desc: Descriptor,
  sink: ImageSink,
  signal: AbortSignal,
): Promise<boolean> {
  try {
    const data = await source.open(desc, { signal });
    if (!data) return false;
    await sink.writeBlob(desc, verifyStream(data, desc, 'a peer'), { signal });
    return true;
  } catch (err) {
    if (signal.aborted) throw err;
    return false;
  }
}

/**
 * Pulls one platform of `ref` into `sink`: config and layers (skipping what
 * the sink has, at most `concurrency` at a time, each verified while it
 * streams), then the manifest, then the tag. Stopping the iteration early
 * cancels the downloads.
 * @throws InvalidArgument before any request for a malformed reference;
 *   NotFound, Unauthenticated, DataLoss, ResourceExhausted, Unavailable, Cancelled.
 */
export async function* pullImage(
  client: DistributionClient,
  refText: string | Reference,
  sink: ImageSink,
  opts: PullOptions = {},
): AsyncGenerator<Progress, void, undefined> {
  const ref = typeof refText === 'string' ? parseReference(refText) : refText;
  const id = ref.tag ?? ref.digest ?? ref.normalized;
  yield* reportProgress(opts.signal, async ({ channel, signal, abort }) => {
    channel.push({ id, status: `Pulling from ${ref.path}` });
    const image = await client.resolve(ref, { signal, ...(opts.platform ? { platform: opts.platform } : {}) });
    // The config (fetched with the manifest) is stored silently: as docker, progress names layers only.
    const storeConfig = async () => {
      if (await sink.hasBlob(image.config.digest, { signal })) return;
      await sink.writeBlob(image.config, verifyStream(once(image.configBytes), image.config, ref.normalized), {
        signal,
      });
    };
    const fetchLayer = async (desc: Descriptor) => {
      if (await sink.hasBlob(desc.digest, { signal })) {
        channel.push({ id: desc.digest, status: 'Already exists' });
        return;
      }
      if (opts.blobSource && (await fromSource(opts.blobSource, desc, sink, signal))) {
        channel.push({ id: desc.digest, status: 'Pull complete (from a peer)', current: desc.size, total: desc.size });
        return;
      }
      channel.push({ id: desc.digest, status: 'Pulling fs layer', current: 0, total: desc.size });
      const data = counted(client.getBlob(ref, desc, { signal }), (current) =>
        channel.push({ id: desc.digest, status: 'Downloading', current, total: desc.size }),
      );
      await sink.writeBlob(desc, data, { signal });
      channel.push({ id: desc.digest, status: 'Download complete', current: desc.size, total: desc.size });
    };
    await runAll([storeConfig, ...image.layers.map((l) => () => fetchLayer(l))], opts.concurrency ?? 3, abort);
    const manifest: Descriptor = { mediaType: image.mediaType, digest: image.digest, size: image.bytes.byteLength };
    if (!(await sink.hasBlob(manifest.digest, { signal }))) {
      await sink.writeBlob(manifest, verifyStream(once(image.bytes), manifest, ref.normalized), { signal });
    }
    failpoint('image.pull.before-tag');
    await sink.tag(ref, manifest, { signal });
    channel.push({ id, status: `Digest: ${image.index?.digest ?? image.digest}` });
    channel.push({ id, status: `Downloaded image for ${ref.familiar}` });
  });
}
