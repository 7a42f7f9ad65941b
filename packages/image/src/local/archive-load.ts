import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, open, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { invalidArgument, isTscrError, unimplemented, type Descriptor } from '@tscr/api';
import { ociArchitecture, parseReference } from '@tscr/registry-client';
import type { LoadedImage } from '../types.js';
import type { BlobStore } from './blob-store.js';
import { CONTAINERD_NAME_ANNOTATION } from './archive-save.js';
import { spoolArchive, type SpooledArchive, type SpooledFile } from './archive-tar.js';
import { sniffCompression } from './decompress.js';
import { REF_NAME_ANNOTATION } from './image-index.js';
import { throwIfAborted } from './fs-util.js';
import { MediaTypes, type OciImageConfig, type OciManifest } from './oci.js';

/** What a load writes through. */
export interface LoadContext {
  blobs: BlobStore;
  tempDir: string;
  /** Stores a blob from the archive; a layer is unpacked on the way (see `LocalImageService.writeBlob`). */
  writeBlob(desc: Descriptor, data: AsyncIterable<Uint8Array>, signal?: AbortSignal): Promise<void>;
  /** The manifest of a stored image with config (ID) `id`, if there is one. */
  manifestOf(id: string): Promise<Descriptor | undefined>;
  /** Checks a stored manifest (every layer unpacked, diff IDs match) and points `refs` at it (untagged if none). */
  commitImage(manifest: Descriptor, refs: string[]): Promise<void>;
  /** Deletes blobs (and what they unpacked to) this load added, unless an image uses them now. */
  discard(digests: string[]): Promise<void>;
}

/** One image of the archive, checked and ready to store. */
interface Planned {
  config: SpooledFile;
  layers: { desc: Descriptor; file: SpooledFile }[];
  /** The archive's own manifest (OCI layout); a docker-archive gets one made. */
  manifest?: { desc: Descriptor; file: SpooledFile };
  refs: string[];
}

const MANIFEST_TYPES = [
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
];
const INDEX_TYPES = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
];

function bad(message: string): never {
  throw invalidArgument(`invalid image archive: ${message}`);
}

async function readJson<T>(file: SpooledFile, what: string): Promise<T> {
  try {
    return JSON.parse(await readFile(file.file, 'utf8')) as T;
  } catch (err) {
    throw invalidArgument(`invalid image archive: ${what} is not JSON`, { cause: err });
  }
}

/** A full reference from an archive's name for an image, or undefined when it is not one (a bare tag). */
function refOf(name: string | undefined): string | undefined {
  if (name === undefined || name === '') return undefined;
  if (!name.includes('/') && !name.includes(':')) return undefined;
  try {
    const r = parseReference(name);
    return r.digest === undefined ? r.normalized : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Loads a docker-archive (`manifest.json`, also Docker 25's layout and
 * legacy `<id>/layer.tar` paths) or an OCI image layout tar. The archive is
 * spooled to scratch files first (hashed on the way), every image is checked
 * against its config before anything is stored, and a failure removes every
 * blob the load added.
 * @throws InvalidArgument for a stream that is not such an archive, a truncated one or a digest mismatch.
 */
export async function loadArchive(
  ctx: LoadContext,
  tar: AsyncIterable<Uint8Array>,
  signal?: AbortSignal,
): Promise<LoadedImage[]> {
  await mkdir(ctx.tempDir, { recursive: true });
  const work = await mkdtemp(join(ctx.tempDir, 'load-'));
  try {
    const archive = await spoolArchive(tar, join(work, 'files'), signal);
    let plan: Planned[];
    if (archive.files.has('manifest.json')) plan = await planDocker(archive);
    else if (archive.files.has('index.json')) plan = await planOci(archive);
    else if (archive.files.has('repositories')) throw unimplemented('loading a Docker v1 archive (no manifest.json)');
    else bad('no manifest.json (docker-archive) or index.json (OCI layout) in it');
    if (plan.length === 0) bad('it holds no image');
    return await store(ctx, plan, signal);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

async function planDocker(archive: SpooledArchive): Promise<Planned[]> {
  const list = await readJson<{ Config?: string; RepoTags?: string[] | null; Layers?: string[] }[]>(
    archive.files.get('manifest.json') as SpooledFile,
    'manifest.json',
  );
  if (!Array.isArray(list)) bad('manifest.json is not a list');
  const out: Planned[] = [];
  for (const item of list) {
    const config = item.Config === undefined ? undefined : archive.lookup(item.Config);
    if (!config) bad(`config ${item.Config ?? '(none)'} is missing`);
    const doc = await readJson<Partial<OciImageConfig>>(config, item.Config as string);
    const diffIds = doc.rootfs?.diff_ids ?? [];
    const paths = item.Layers ?? [];
    if (diffIds.length !== paths.length) bad(`${paths.length} layers but the config lists ${diffIds.length}`);
    const layers: Planned['layers'] = [];
    for (const [i, path] of paths.entries()) {
      const file = archive.lookup(path);
      if (!file) bad(`layer ${path} is missing`);
      const kind = sniffCompression(await head(file.file));
      if (kind === 'none' && file.digest !== diffIds[i]) {
        bad(`layer ${path} has digest ${file.digest}, but the config says ${diffIds[i]}`);
      }
      const mediaType = kind === 'none' ? MediaTypes.layer : `${MediaTypes.layer}+${kind}`;
      layers.push({ file, desc: { mediaType, digest: file.digest, size: file.size } });
    }
    const refs: string[] = [];
    for (const tag of item.RepoTags ?? []) {
      const ref = refOf(tag) ?? refOf(`${tag}:latest`);
      if (ref === undefined) bad(`RepoTags entry ${JSON.stringify(tag)} is not a reference`);
      refs.push(ref);
    }
    out.push({ config, layers, refs });
  }
  return out;
}

function blobFile(archive: SpooledArchive, desc: Descriptor, what: string): SpooledFile {
  const m = /^sha256:([a-f0-9]{64})$/.exec(desc.digest ?? '');
  if (!m) bad(`${what} has an unsupported digest ${JSON.stringify(desc.digest)}`);
  const file = archive.lookup(`blobs/sha256/${m[1]}`);
  if (!file) bad(`${what} blob ${desc.digest} is missing`);
  if (file.digest !== desc.digest) bad(`blob ${desc.digest} has digest ${file.digest}`);
  return file;
}

async function planOci(archive: SpooledArchive): Promise<Planned[]> {
  const index = await readJson<{ manifests?: Descriptor[] }>(
    archive.files.get('index.json') as SpooledFile,
    'index.json',
  );
  const byManifest = new Map<string, Planned>();
  const visit = async (desc: Descriptor, name: string | undefined, depth: number): Promise<void> => {
    const file = blobFile(archive, desc, 'manifest');
    const doc = await readJson<
      OciManifest & { manifests?: (Descriptor & { platform?: { architecture?: string; os?: string } })[] }
    >(file, desc.digest);
    const type = doc.mediaType ?? desc.mediaType;
    if (INDEX_TYPES.includes(type) || Array.isArray(doc.manifests)) {
      const mine = (doc.manifests ?? []).filter(
        (m) => m.platform === undefined || (m.platform.architecture === ociArchitecture() && m.platform.os === 'linux'),
      );
      if (depth > 2 || mine.length === 0) bad(`index ${desc.digest} has no manifest for linux/${ociArchitecture()}`);
      for (const m of mine) if (archive.lookup(`blobs/sha256/${m.digest.slice(7)}`)) return visit(m, name, depth + 1);
      bad(`index ${desc.digest}: no manifest for this platform is in the archive`);
    }
    if (!MANIFEST_TYPES.includes(type) || !doc.config || !Array.isArray(doc.layers)) {
      bad(`${desc.digest} is not an image manifest`);
    }
    const known = byManifest.get(desc.digest);
    const ref = refOf(name);
    if (known) {
      if (ref !== undefined && !known.refs.includes(ref)) known.refs.push(ref);
      return;
    }
    const config = blobFile(archive, doc.config, 'config');
    const layers = doc.layers.map((l) => ({ desc: l, file: blobFile(archive, l, 'layer') }));
    byManifest.set(desc.digest, {
      config,
      layers,
      manifest: { desc: { mediaType: type, digest: desc.digest, size: file.size }, file },
      refs: ref === undefined ? [] : [ref],
    });
  };
  for (const d of index.manifests ?? []) {
    const a = d.annotations ?? {};
    await visit(d, a[CONTAINERD_NAME_ANNOTATION] ?? a[REF_NAME_ANNOTATION], 0);
  }
  return [...byManifest.values()];
}

async function head(file: string): Promise<Buffer> {
  const fh = await open(file);
  try {
    const buf = Buffer.alloc(4);
    const { bytesRead } = await fh.read(buf, 0, 4, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

async function* fileData(file: SpooledFile): AsyncGenerator<Uint8Array, void, undefined> {
  for await (const chunk of createReadStream(file.file)) yield chunk as Buffer;
}

async function store(ctx: LoadContext, plan: Planned[], signal?: AbortSignal): Promise<LoadedImage[]> {
  const added: string[] = [];
  const put = async (desc: Descriptor, file: SpooledFile, layer: boolean) => {
    throwIfAborted(signal);
    if (await ctx.blobs.has(desc.digest)) return;
    added.push(desc.digest);
    if (layer) await ctx.writeBlob(desc, fileData(file), signal);
    else await ctx.blobs.put(fileData(file), { expected: desc.digest, signal });
  };
  try {
    const loaded: LoadedImage[] = [];
    for (const p of plan) {
      let manifest = await ctx.manifestOf(p.config.digest);
      if (manifest === undefined) {
        for (const l of p.layers) await put(l.desc, l.file, true);
        await put({ mediaType: MediaTypes.config, digest: p.config.digest, size: p.config.size }, p.config, false);
        if (p.manifest) {
          await put(p.manifest.desc, p.manifest.file, false);
          manifest = p.manifest.desc;
        } else {
          const doc: OciManifest = {
            schemaVersion: 2,
            mediaType: MediaTypes.manifest,
            config: { mediaType: MediaTypes.config, digest: p.config.digest, size: p.config.size },
            layers: p.layers.map((l) => l.desc),
          };
          const blob = await ctx.blobs.put(Buffer.from(JSON.stringify(doc)));
          if (blob.added) added.push(blob.digest);
          manifest = { mediaType: MediaTypes.manifest, digest: blob.digest, size: blob.size };
        }
      }
      await ctx.commitImage(manifest, p.refs);
      loaded.push({ id: p.config.digest, refs: p.refs });
    }
    return loaded;
  } catch (err) {
    await ctx.discard(added).catch(() => undefined);
    if (isTscrError(err)) throw err;
    throw err;
  }
}
