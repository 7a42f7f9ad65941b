import { failpoint, invalidArgument } from '@tscr/api';
import { parseReference } from '../reference/parse.js';
import { parseManifest } from '../manifest/parse.js';
import { runAll } from '../transport/limit.js';
import type { CallOptions, Descriptor, ImageSource, Progress, Reference } from '../types.js';
import { MAX_MANIFEST_BYTES, type DistributionClient } from './client.js';
import { readLimited, tooLarge, verifyStream } from './digest.js';
import { reportProgress } from './progress.js';

/** Options of {@link pushImage}. */
export interface PushOptions extends CallOptions {
  /** Upload blobs in PATCH chunks of this many bytes; default one PUT per blob. */
  chunkSize?: number;
  /** Blobs uploaded at once. Default 3. */
  concurrency?: number;
}

/**
 * Pushes the image (or index and every image it lists) that `ref` names in
 * `source`: blobs first (skipping those the registry has), child manifests
 * by digest, then the top manifest under the reference's tag. Everything
 * read from `source` is verified against its digest on the way.
 * @throws InvalidArgument before any request for a malformed reference;
 *   NotFound when the source lacks the image; DataLoss when the source's
 *   content does not match its digests; Unauthenticated; Unavailable; Cancelled.
 */
export async function* pushImage(
  client: DistributionClient,
  refText: string | Reference,
  source: ImageSource,
  opts: PushOptions = {},
): AsyncGenerator<Progress, void, undefined> {
  const ref = typeof refText === 'string' ? parseReference(refText) : refText;
  const id = ref.tag ?? ref.digest ?? ref.normalized;
  yield* reportProgress(opts.signal, async ({ channel, signal, abort }) => {
    channel.push({ id, status: `The push refers to repository [${ref.domain}/${ref.path}]` });

    const readManifest = async (desc: Descriptor) => {
      if (desc.size > MAX_MANIFEST_BYTES) throw tooLarge(`manifest ${desc.digest}`, MAX_MANIFEST_BYTES);
      return readLimited(
        verifyStream(source.readBlob(desc, { signal }), desc, ref.normalized),
        MAX_MANIFEST_BYTES,
        ref.normalized,
      );
    };
    /** Uploads one blob; `layer` false (the config) reports nothing: as docker, progress names layers only. */
    const pushBlob = async (desc: Descriptor, layer: boolean) => {
      const report = (p: Omit<Progress, 'id'>) => layer && channel.push({ id: desc.digest, ...p });
      report({ status: 'Preparing' });
      const data = verifyStream(source.readBlob(desc, { signal }), desc, ref.normalized);
      const result = await client.pushBlob(ref, desc, data, {
        signal,
        ...(opts.chunkSize ? { chunkSize: opts.chunkSize } : {}),
        onProgress: (current) => report({ status: 'Pushing', current, total: desc.size }),
      });
      report({ status: result.status === 'exists' ? 'Layer already exists' : 'Pushed' });
      failpoint('registry.push.between-blobs');
    };
    const pushImageManifest = async (desc: Descriptor, bytes: Buffer, target: Reference) => {
      const m = parseManifest(bytes, `${ref.normalized}@${desc.digest}`);
      if (m.kind !== 'manifest') throw tooDeep(ref);
      await runAll(
        [() => pushBlob(m.config, false), ...m.layers.map((d) => () => pushBlob(d, true))],
        opts.concurrency ?? 3,
        abort,
      );
      return client.putManifest(target, bytes, desc.mediaType || m.mediaType, { signal });
    };

    const top = await source.resolve(ref, { signal });
    const bytes = await readManifest(top);
    const parsed = parseManifest(bytes, ref.normalized);
    let pushed: Descriptor;
    if (parsed.kind === 'index') {
      for (const child of parsed.manifests) {
        const normalized = `${ref.domain}/${ref.path}@${child.digest}`;
        const childRef: Reference = {
          domain: ref.domain,
          path: ref.path,
          digest: child.digest,
          normalized,
          familiar: normalized,
        };
        await pushImageManifest(child, await readManifest(child), childRef);
      }
      pushed = await client.putManifest(ref, bytes, top.mediaType || parsed.mediaType, { signal });
    } else {
      pushed = await pushImageManifest(top, bytes, ref);
    }
    await source.pushed?.(ref, pushed, { signal });
    channel.push({ id, status: `${id}: digest: ${pushed.digest} size: ${pushed.size}` });
  });
}

function tooDeep(ref: Reference) {
  return invalidArgument(`${ref.normalized}: an index inside an index cannot be pushed`, {
    details: { ref: ref.normalized },
  });
}
