import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import {
  failedPrecondition,
  internal,
  invalidArgument,
  isNotFound,
  notFound,
  type Descriptor,
  type Image,
  type ImageDeleteResult,
  type Mount,
} from '@tscr/api';
import { parseReference, repositoryName } from '@tscr/registry-client';
import type { CallOptions, ImageService, ImportOptions } from '../types.js';
import { BlobStore, digestHex } from './blob-store.js';
import { throwIfAborted } from './fs-util.js';
import { ImageIndex } from './image-index.js';
import { importRootfsTar } from './importer.js';
import { Mutex } from './mutex.js';
import { toImage, type ImageRecord, type OciImageConfig, type OciManifest } from './oci.js';
import { LocalSnapshotter } from './snapshotter.js';

/** Options of {@link createLocalImageService}. */
export interface LocalImageServiceOptions {
  /**
   * The directory the service owns, e.g. `/var/lib/tscr/image`. It holds
   * `content/` (an OCI image layout: `oci-layout`, `index.json`, `blobs/`),
   * `layers/<diffID hex>/fs` (unpacked layers), `snapshots/<key>/` and `tmp/`.
   */
  root: string;
}

/** An image in the index with the references that name it. */
interface Stored {
  rec: ImageRecord;
  desc: Descriptor;
  refs: string[];
}

/** A resolved name: the image, and the reference it was found by (if not by ID). */
interface Resolved extends Stored {
  byRef?: string;
}

const FULL_ID = /^(?:sha256:)?([a-f0-9]{64})$/;
const ID_PREFIX = /^(?:sha256:)?([a-f0-9]{4,63})$/;

/**
 * Checks and normalizes a reference to tag with.
 * @throws InvalidArgument for a malformed reference or one with a digest.
 */
export function normalizeTag(ref: string): string {
  const parsed = parseReference(ref);
  if (parsed.digest !== undefined) {
    throw invalidArgument(`refusing to create a tag with a digest reference: ${ref}`, { details: { ref } });
  }
  return parsed.normalized;
}

/**
 * The image layer on the local disk: an OCI content store, the image
 * index, `docker import`-style imports and overlay snapshots. Every change
 * (and every read, so it sees no half-done change) runs under one
 * in-process lock; imports stream and unpack outside it.
 */
export class LocalImageService implements ImageService {
  /** The directory the service owns. */
  readonly root: string;
  private readonly blobs: BlobStore;
  private readonly index: ImageIndex;
  private readonly snapshotter: LocalSnapshotter;
  private readonly layersDir: string;
  private readonly tempDir: string;
  private readonly lock = new Mutex();
  private readonly cache = new Map<string, ImageRecord>();
  private ready: Promise<void> | undefined;

  constructor(options: LocalImageServiceOptions) {
    this.root = options.root;
    this.layersDir = join(this.root, 'layers');
    this.tempDir = join(this.root, 'tmp');
    const content = join(this.root, 'content');
    this.blobs = new BlobStore(content, { tempDir: this.tempDir });
    this.index = new ImageIndex(join(content, 'index.json'));
    this.snapshotter = new LocalSnapshotter({
      dir: join(this.root, 'snapshots'),
      layerDir: (diffId) => join(this.layersDir, digestHex(diffId)),
      resolveImage: async (ref) => this.toImage(await this.resolve(ref)),
    });
  }

  /** @inheritdoc */
  async list(opts: CallOptions = {}): Promise<Image[]> {
    const all = await this.locked(opts, () => this.stored());
    return all
      .map((s) => this.toImage(s))
      .sort((a, b) => b.created.localeCompare(a.created) || a.id.localeCompare(b.id));
  }

  /** @inheritdoc */
  async get(ref: string, opts: CallOptions = {}): Promise<Image> {
    return this.toImage(await this.locked(opts, () => this.resolve(ref)));
  }

  /** @inheritdoc */
  async tag(source: string, target: string, opts: CallOptions = {}): Promise<void> {
    const normalized = normalizeTag(target);
    await this.locked(opts, async () => {
      const s = await this.resolve(source);
      await this.index.tag(normalized, s.desc);
    });
  }

  /** @inheritdoc */
  async remove(ref: string, opts: CallOptions & { force?: boolean } = {}): Promise<ImageDeleteResult[]> {
    const force = opts.force === true;
    return this.locked(opts, async () => {
      const s = await this.resolve(ref);
      const users = (await this.snapshotter.list()).filter((r) => r.image === s.rec.id);
      const inUse = () =>
        failedPrecondition(
          `conflict: unable to remove image ${ref} (must force) - image is being used by container ${users[0]?.key}`,
          { details: { ref, id: s.rec.id, snapshot: users[0]?.key ?? '' } },
        );
      if (s.byRef !== undefined && s.refs.length > 1) {
        await this.index.untag(s.byRef);
        return [{ untagged: s.byRef }];
      }
      if (users.length > 0 && !force) throw inUse();
      if (s.byRef === undefined && !force && new Set(s.refs.map(repositoryOf)).size > 1) {
        const short = digestHex(s.rec.id).slice(0, 12);
        throw failedPrecondition(
          `conflict: unable to delete ${short} (must be forced) - image is referenced in multiple repositories`,
          { details: { ref, id: s.rec.id } },
        );
      }
      const untagged = s.byRef !== undefined ? [s.byRef] : [...s.refs].sort();
      await this.index.removeImage(s.rec.manifestDigest);
      await this.collect(s.rec);
      return [...untagged.map((u) => ({ untagged: u })), { deleted: s.rec.id }];
    });
  }

  /** @inheritdoc */
  async importTar(tar: AsyncIterable<Uint8Array>, opts: ImportOptions = {}): Promise<Image> {
    const reference = opts.reference ? normalizeTag(opts.reference) : undefined;
    await this.init();
    const manifestDigest = await importRootfsTar(
      { blobs: this.blobs, index: this.index, layersDir: this.layersDir, tempDir: this.tempDir, lock: this.lock },
      tar,
      reference,
      opts,
    );
    const found = (await this.locked({}, () => this.stored())).find((s) => s.rec.manifestDigest === manifestDigest);
    if (!found) throw internal(`imported image ${manifestDigest} vanished`);
    return this.toImage(found);
  }

  /** @inheritdoc */
  prepare(key: string, image: string, opts: CallOptions = {}): Promise<Mount[]> {
    return this.locked(opts, () => this.snapshotter.prepare(key, image, opts));
  }

  /** @inheritdoc */
  mounts(key: string, opts: CallOptions = {}): Promise<Mount[]> {
    return this.locked(opts, () => this.snapshotter.mounts(key, opts));
  }

  /** @inheritdoc Layers only this snapshot still used (its image was force-removed) go with it. */
  async removeSnapshot(key: string, opts: CallOptions = {}): Promise<void> {
    await this.locked(opts, async () => {
      const record = await this.snapshotter.remove(key, opts);
      if (record) await this.collectLayers(record.layers);
    });
  }

  /** Creates the directories and drops scratch files a crash left behind. */
  private init(): Promise<void> {
    this.ready ??= (async () => {
      for (const d of [this.layersDir, this.tempDir, join(this.root, 'snapshots')]) await mkdir(d, { recursive: true });
      for (const name of await readdir(this.tempDir)) await rm(join(this.tempDir, name), { recursive: true, force: true });
      await this.blobs.init();
      await this.index.update((entries) => ({ entries, result: undefined }));
    })().catch((err: unknown) => {
      this.ready = undefined;
      throw err;
    });
    return this.ready;
  }

  private async locked<T>(opts: CallOptions, fn: () => Promise<T>): Promise<T> {
    throwIfAborted(opts.signal);
    await this.init();
    return this.lock.run(fn);
  }

  /** Every indexed image (one per manifest) with its references, in index order. */
  private async stored(): Promise<Stored[]> {
    const byManifest = new Map<string, { desc: Descriptor; refs: string[] }>();
    for (const e of await this.index.entries()) {
      const item = byManifest.get(e.manifest.digest) ?? { desc: e.manifest, refs: [] };
      if (e.ref !== undefined) item.refs.push(e.ref);
      byManifest.set(e.manifest.digest, item);
    }
    const out: Stored[] = [];
    for (const [digest, { desc, refs }] of byManifest) {
      try {
        out.push({ rec: await this.record(digest), desc, refs });
      } catch (err) {
        if (!isNotFound(err)) throw err; // blobs gone: nothing left to show
      }
    }
    return out;
  }

  private async record(manifestDigest: string): Promise<ImageRecord> {
    const cached = this.cache.get(manifestDigest);
    if (cached) return cached;
    const manifest = parseJson<OciManifest>(await this.blobs.get(manifestDigest), manifestDigest);
    const id = manifest.config.digest;
    const config = parseJson<OciImageConfig>(await this.blobs.get(id), id);
    const rec: ImageRecord = { manifestDigest, manifest, id, config };
    this.cache.set(manifestDigest, rec);
    return rec;
  }

  /**
   * Finds an image by full ID, reference, or ID prefix (4+ hex digits).
   * @throws NotFound; InvalidArgument for a malformed reference or an ambiguous prefix.
   */
  private async resolve(ref: string): Promise<Resolved> {
    const all = await this.stored();
    const full = FULL_ID.exec(ref);
    if (full) {
      const hit = all.find((s) => s.rec.id === `sha256:${full[1]}`);
      if (hit) return hit;
      throw noSuchImage(ref);
    }
    let normalized: string | undefined;
    let parseError: unknown;
    try {
      normalized = parseReference(ref).normalized;
    } catch (err) {
      parseError = err;
    }
    const byRef = normalized === undefined ? undefined : all.find((s) => s.refs.includes(normalized));
    if (byRef) return { ...byRef, byRef: normalized };
    const prefix = ID_PREFIX.exec(ref);
    if (prefix) {
      const hits = all.filter((s) => digestHex(s.rec.id).startsWith(prefix[1] as string));
      const ids = new Set(hits.map((s) => s.rec.id));
      if (ids.size > 1) {
        throw invalidArgument(`image ID prefix ${ref} is ambiguous: it matches ${ids.size} images`, {
          details: { ref },
        });
      }
      if (hits[0]) return hits[0];
    }
    if (parseError !== undefined) throw parseError;
    throw noSuchImage(ref);
  }

  private toImage(s: Stored): Image {
    return toImage(s.rec, s.refs);
  }

  /** Deletes the blobs and unpacked layers of a removed image that nothing else uses. */
  private async collect(rec: ImageRecord): Promise<void> {
    const keep = new Set<string>();
    for (const s of await this.stored()) {
      keep.add(s.rec.manifestDigest).add(s.rec.id);
      for (const l of s.rec.manifest.layers) keep.add(l.digest);
    }
    for (const digest of [rec.manifestDigest, rec.id, ...rec.manifest.layers.map((l) => l.digest)]) {
      if (!keep.has(digest)) await this.blobs.delete(digest);
    }
    this.cache.delete(rec.manifestDigest);
    await this.collectLayers(rec.config.rootfs.diff_ids);
  }

  /** Deletes the unpacked layers among `diffIds` that no image or snapshot uses. */
  private async collectLayers(diffIds: string[]): Promise<void> {
    const keep = new Set<string>();
    for (const s of await this.stored()) for (const id of s.rec.config.rootfs.diff_ids) keep.add(id);
    for (const r of await this.snapshotter.list()) for (const id of r.layers) keep.add(id);
    for (const id of diffIds) {
      if (!keep.has(id)) await rm(join(this.layersDir, digestHex(id)), { recursive: true, force: true });
    }
  }
}

/** Creates a {@link LocalImageService} over `root`; nothing touches the disk until the first call. */
export function createLocalImageService(options: LocalImageServiceOptions): LocalImageService {
  return new LocalImageService(options);
}

function noSuchImage(ref: string) {
  return notFound(`no such image: ${ref}`, { details: { ref } });
}

function repositoryOf(normalized: string): string {
  return repositoryName(parseReference(normalized));
}

function parseJson<T>(data: Buffer, digest: string): T {
  try {
    return JSON.parse(data.toString('utf8')) as T;
  } catch (err) {
    throw internal(`corrupt blob ${digest}`, { cause: err });
  }
}
