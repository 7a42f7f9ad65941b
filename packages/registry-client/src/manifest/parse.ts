import { invalidArgument } from '@tscr/api';
import { isImageManifestType, isIndexType } from './media-types.js';
import type { Descriptor, Manifest } from './types.js';

const DIGEST = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;

function bad(what: string, why: string): never {
  throw invalidArgument(`invalid manifest ${what}: ${why}`, { details: { manifest: what } });
}

function descriptor(value: unknown, what: string, where: string): Descriptor {
  if (typeof value !== 'object' || value === null) bad(what, `${where} is not a descriptor`);
  const d = value as Record<string, unknown>;
  if (typeof d.mediaType !== 'string' || !d.mediaType) bad(what, `${where}.mediaType missing`);
  if (typeof d.digest !== 'string' || !DIGEST.test(d.digest)) bad(what, `${where}.digest malformed`);
  if (typeof d.size !== 'number' || !Number.isSafeInteger(d.size) || d.size < 0) bad(what, `${where}.size malformed`);
  return value as Descriptor;
}

/**
 * Parses and validates manifest bytes. The media type comes from the
 * document's `mediaType` field, else from `contentType` (the HTTP header),
 * else from its shape (`manifests` → OCI index, `config` → OCI manifest).
 * @param what names the manifest in errors (a reference or digest).
 * @throws InvalidArgument for anything that is not a schema-2 manifest or index.
 */
export function parseManifest(bytes: Uint8Array, what: string, contentType?: string): Manifest {
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(Buffer.from(bytes).toString('utf8')) as Record<string, unknown>;
  } catch {
    bad(what, 'not JSON');
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) bad(what, 'not a JSON object');
  if (doc.schemaVersion !== 2) bad(what, `unsupported schemaVersion ${String(doc.schemaVersion)}`);
  const header = contentType?.split(';')[0]?.trim();
  const mediaType =
    typeof doc.mediaType === 'string'
      ? doc.mediaType
      : header && (isIndexType(header) || isImageManifestType(header))
        ? header
        : Array.isArray(doc.manifests)
          ? 'application/vnd.oci.image.index.v1+json'
          : 'application/vnd.oci.image.manifest.v1+json';
  if (isIndexType(mediaType)) {
    if (!Array.isArray(doc.manifests)) bad(what, 'index without manifests');
    const manifests = doc.manifests.map((m, i) => descriptor(m, what, `manifests[${i}]`));
    const out: Manifest = { kind: 'index', schemaVersion: 2, mediaType, manifests };
    if (doc.annotations) out.annotations = doc.annotations as Record<string, string>;
    return out;
  }
  if (isImageManifestType(mediaType)) {
    const config = descriptor(doc.config, what, 'config');
    if (!Array.isArray(doc.layers)) bad(what, 'manifest without layers');
    const layers = doc.layers.map((l, i) => descriptor(l, what, `layers[${i}]`));
    const out: Manifest = { kind: 'manifest', schemaVersion: 2, mediaType, config, layers };
    if (doc.annotations) out.annotations = doc.annotations as Record<string, string>;
    return out;
  }
  bad(what, `unsupported media type ${mediaType}`);
}
