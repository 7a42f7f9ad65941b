import { join } from 'node:path';
import { TscrError, failedPrecondition, internal, invalidArgument, unimplemented, type Descriptor } from '@tscr/api';
import { parseReference, type Reference } from '@tscr/registry-client';
import { digestHex, type BlobStore } from './blob-store.js';
import { exists } from './fs-util.js';
import type { LayerRecords } from './layer-records.js';
import type { OciImageConfig, OciManifest } from './oci.js';

/** What {@link checkPulledImage} reads. */
export interface PulledContext {
  blobs: BlobStore;
  records: LayerRecords;
  layersDir: string;
}

const MANIFEST_TYPES = [
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
];
const INDEX_TYPES = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
];

function dataLoss(message: string, details: Record<string, string>): TscrError {
  return new TscrError('DataLoss', message, { details });
}

function parse<T>(data: Buffer, digest: string): T {
  try {
    return JSON.parse(data.toString('utf8')) as T;
  } catch (err) {
    throw invalidArgument(`blob ${digest} is not JSON`, { cause: err, details: { digest } });
  }
}

/**
 * Checks that the image manifest `desc` (OCI or Docker schema2), its config
 * and every layer are stored, and that each layer's diff ID (what its blob
 * unpacked to) is the one the config's `rootfs.diff_ids` lists.
 * @throws NotFound when the manifest or config blob is missing;
 *   FailedPrecondition for a missing layer blob or unpacked layer;
 *   DataLoss for a diff ID mismatch; InvalidArgument for a malformed manifest;
 *   Unimplemented for an image index.
 */
export async function checkPulledImage(ctx: PulledContext, desc: Descriptor): Promise<void> {
  const manifest = parse<OciManifest & { manifests?: unknown }>(await ctx.blobs.get(desc.digest), desc.digest);
  const mediaType = manifest.mediaType ?? desc.mediaType;
  if (INDEX_TYPES.includes(mediaType) || manifest.manifests !== undefined) {
    throw unimplemented('tagging an image index (pull one platform of it)');
  }
  if (!MANIFEST_TYPES.includes(mediaType) || !manifest.config?.digest || !Array.isArray(manifest.layers)) {
    throw invalidArgument(`${desc.digest} is not an OCI or Docker schema2 image manifest`, {
      details: { digest: desc.digest, mediaType },
    });
  }
  const config = parse<Partial<OciImageConfig>>(await ctx.blobs.get(manifest.config.digest), manifest.config.digest);
  const diffIds = config.rootfs?.diff_ids ?? [];
  if (diffIds.length !== manifest.layers.length) {
    throw dataLoss(
      `image ${desc.digest} has ${manifest.layers.length} layers but its config lists ${diffIds.length} diff IDs`,
      { digest: desc.digest },
    );
  }
  for (const [i, layer] of manifest.layers.entries()) {
    const missing = () =>
      failedPrecondition(`layer ${layer.digest} of image ${desc.digest} is not stored`, {
        details: { digest: layer.digest },
      });
    if (!(await ctx.blobs.has(layer.digest))) throw missing();
    const diffID = (await ctx.records.get(layer.digest))?.diffID ?? layer.digest;
    if (diffID !== diffIds[i]) {
      throw dataLoss(`layer ${layer.digest} unpacks to ${diffID}, but the image config says ${diffIds[i]}`, {
        digest: layer.digest,
        actual: diffID,
        expected: diffIds[i] ?? '',
      });
    }
    if (!(await exists(join(ctx.layersDir, digestHex(diffID), 'fs')))) throw missing();
  }
}

/** The index names a pull of `ref` records: its tag (if any) and its repo digest. */
export function pulledNames(ref: Reference, desc: Descriptor): { tag?: string; digest: string } {
  const repo = `${ref.domain}/${ref.path}`;
  try {
    const digest = parseReference(`${repo}@${ref.digest ?? desc.digest}`).normalized;
    return ref.tag === undefined ? { digest } : { tag: parseReference(`${repo}:${ref.tag}`).normalized, digest };
  } catch (err) {
    throw internal(`cannot name ${repo}`, { cause: err });
  }
}

/** True when blob `digest` is stored and, for a layer blob, so is its unpacked layer. */
export async function hasUsableBlob(ctx: PulledContext, digest: string): Promise<boolean> {
  if (!(await ctx.blobs.has(digest))) return false;
  const layer = await ctx.records.get(digest);
  return layer === undefined || exists(join(ctx.layersDir, digestHex(layer.diffID), 'fs'));
}
