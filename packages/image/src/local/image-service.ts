import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import {
  alreadyExists,
  failedPrecondition,
  internal,
  invalidArgument,
  isNotFound,
  type Descriptor,
  type Image,
  type ImageDeleteResult,
  type Mount,
  createdBefore,
} from '@tscr/api';
import {
  parseReference,
  type Descriptor as RegistryDescriptor,
  type ImageSink,
  type ImageSource,
  type Reference,
} from '@tscr/registry-client';
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
import { loadArchive } from './archive-load.js';
import { saveArchive, type SaveItem } from './archive-save.js';
import { imageHistory, labelsMatch, parsePruneFilters } from './history.js';
import { BlobStore, digestHex } from './blob-store.js';
import { throwIfAborted } from './fs-util.js';
import { ImageIndex } from './image-index.js';
import { importRootfsTar } from './importer.js';
import { ingestBlob } from './ingest.js';
import { LayerRecords } from './layer-records.js';
import { Mutex } from './mutex.js';
import { toImage, type ImageRecord, type OciImageConfig, type OciManifest } from './oci.js';
import { checkPulledImage, hasUsableBlob, pulledNames, type PulledContext } from './pulled.js';
import { SharedWrites } from './shared-writes.js';
import { sweepOrphans } from './sweep.js';
import { parentsOf } from './lineage.js';
import { noSuchImage, normalizeTag, parseJson, repositoryOf } from './names.js';
import { LocalSnapshotter, type SnapshotRecord, validateSnapshotKey } from './snapshotter.js';
import { storeSnapshotDiff, writeNewImage, type LayerContext } from './new-image.js';
import type { LayerLimits } from './layer-limits.js';
import type { DiffOptions, LayerInfo, NewImage } from '../types.js';

/** Options of {@link createLocalImageService}. */
export interface LocalImageServiceOptions {
  /**
   * The directory the service owns, e.g. `/var/lib/tscr/image`. It holds
   * `content/` (an OCI image layout: `oci-layout`, `index.json`, `blobs/`),
   * `layers/<diffID hex>/fs` (unpacked layers), `layer-blobs/<blob hex>.json`
   * (layer blob → diff ID), `snapshots/<key>/` and `tmp/`.
   */
  root: string;
  /**
   * Unreferenced blobs younger than this are kept by {@link LocalImageService.prune}'s
   * collection (a pull in flight stores blobs before it tags). Default one hour.
   */
  gcGraceMs?: number;
  /** Bounds on what one pulled, loaded or imported layer may unpack to; defaults in `DEFAULT_LAYER_LIMITS`. */
  layerLimits?: LayerLimits;
  /**
   * Pulled and loaded layers of at least this many (compressed) bytes
   * unpack in a worker thread, beside the download; default 8 MiB.
   */
  unpackWorkerMinBytes?: number;
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
 * The image layer on the local disk: an OCI content store, the image
 * index, `docker import`-style imports and overlay snapshots. Every change
 * (and every read, so it sees no half-done change) runs under one
 * in-process lock; imports and pulled blobs stream and unpack outside it.
 *
 * It is also where registry pulls go ({@link ImageSink}: layers unpack while
 * they download) and what pushes read ({@link ImageSource}).
 */
export class LocalImageService implements ImageService, ImageSink, ImageSource {
  /** The directory the service owns. */
  readonly root: string;
  private readonly blobs: BlobStore;
  private readonly index: ImageIndex;
  private readonly snapshotter: LocalSnapshotter;
  private readonly layersDir: string;
  private readonly tempDir: string;
  private readonly lock = new Mutex();
  /** Snapshots being prepared outside the lock (their directories are made meanwhile), by key. */
  private readonly preparing = new Map<string, SnapshotRecord>();
  private readonly cache = new Map<string, ImageRecord>();
  /** Manifest digest → bytes its layers unpacked to (Docker's image size), when known. */
  private readonly unpackedSizes = new Map<string, number>();
  private readonly records: LayerRecords;
  /** Blob writes in flight: a second write of the same digest waits for the first. */
  private readonly writing = new SharedWrites();
  /** What pulled blobs are checked against. */
  private readonly content: PulledContext;
  private ready: Promise<void> | undefined;
  private readonly gcGraceMs: number;
  private readonly layerLimits: LayerLimits;
  private readonly unpackWorkerMinBytes: number | undefined;

  constructor(options: LocalImageServiceOptions) {
    this.root = options.root;
    this.gcGraceMs = options.gcGraceMs ?? 60 * 60 * 1000;
    this.layerLimits = options.layerLimits ?? {};
    this.unpackWorkerMinBytes = options.unpackWorkerMinBytes;
    this.layersDir = join(this.root, 'layers');
    this.tempDir = join(this.root, 'tmp');
    const content = join(this.root, 'content');
    this.blobs = new BlobStore(content, { tempDir: this.tempDir });
    this.index = new ImageIndex(join(content, 'index.json'));
    this.records = new LayerRecords(join(this.root, 'layer-blobs'));
    this.content = { blobs: this.blobs, records: this.records, layersDir: this.layersDir };
    this.snapshotter = new LocalSnapshotter({
      dir: join(this.root, 'snapshots'),
      layerDir: (diffId) => join(this.layersDir, digestHex(diffId)),
      resolveImage: async (ref) => this.toImage(await this.find(ref)),
      trashDir: join(this.root, 'trash'),
    });
  }

  /** @inheritdoc */
  async list(opts: CallOptions = {}): Promise<Image[]> {
    const all = await this.locked(opts, () => this.stored());
    const parents = parentsOf(all.map((s) => s.rec));
    return all
      .map((s) => this.toImage(s, parents))
      .sort((a, b) => b.created.localeCompare(a.created) || a.id.localeCompare(b.id));
  }

  /** @inheritdoc */
  async get(ref: string, opts: CallOptions = {}): Promise<Image> {
    const [found, all] = await this.locked(opts, async () => [await this.find(ref), await this.stored()] as const);
    return this.toImage(found, parentsOf(all.map((s) => s.rec)));
  }

  /**
   * `tag(source, target)` (`ImageStore`): points reference `target` at
   * the image `source` names. @throws NotFound; InvalidArgument.
   *
   * `tag(ref, manifest)` ({@link ImageSink}, the last step of a pull): checks
   * the stored manifest (OCI or Docker schema2), its config and that every
   * layer unpacked to the diff ID the config lists, then points `ref`'s tag
   * at it and records its repo digest (`repo@sha256:…`, in
   * {@link Image.repoDigests}). The image ID stays its config digest.
   * @throws DataLoss for a diff ID mismatch (nothing is tagged);
   *   FailedPrecondition when a layer is missing; NotFound for a missing
   *   manifest or config.
   */
  tag(source: string, target: string, opts?: CallOptions): Promise<void>;
  tag(ref: Reference, manifest: RegistryDescriptor, opts?: CallOptions): Promise<void>;
  async tag(a: string | Reference, b: string | RegistryDescriptor, opts: CallOptions = {}): Promise<void> {
    if (typeof a === 'string' && typeof b === 'string') {
      const normalized = normalizeTag(b);
      await this.locked(opts, async () => {
        const s = await this.find(a);
        await this.index.tag(normalized, s.desc);
      });
      return;
    }
    if (typeof a === 'string' || typeof b === 'string') {
      throw invalidArgument('tag takes two references, or a parsed reference and a manifest descriptor');
    }
    const desc: Descriptor = { mediaType: b.mediaType, digest: b.digest, size: b.size };
    const names = pulledNames(a, desc);
    await this.locked(opts, async () => {
      await checkPulledImage(this.content, desc);
      await this.index.tag(names.digest, desc);
      if (names.tag !== undefined) await this.index.tag(names.tag, desc);
    });
  }

  /**
   * True when blob `digest` is stored and, for a layer blob, its unpacked
   * layer is too (so a layer whose unpack was lost is fetched again).
   * @throws InvalidArgument for a malformed digest.
   */
  async hasBlob(digest: string, opts: CallOptions = {}): Promise<boolean> {
    digestHex(digest);
    return this.locked(opts, () => hasUsableBlob(this.content, digest));
  }

  /**
   * Stores a pulled blob; a layer (OCI tar, tar+gzip, tar+zstd, Docker
   * rootfs diff) is unpacked into `layers/<diffID>/fs` in the same pass.
   * `data` must be verified while it streams (as the registry client does):
   * when it throws, everything written is discarded and the error passes
   * through. Concurrent writes of one digest share the first write.
   * @throws what `data` throws (DataLoss, Cancelled); DataLoss for a size
   *   other than `desc.size`; InvalidArgument for a malformed digest or a
   *   layer that is not a tar; Unimplemented for zstd without `zstd`.
   */
  async writeBlob(desc: RegistryDescriptor, data: AsyncIterable<Uint8Array>, opts: CallOptions = {}): Promise<void> {
    digestHex(desc.digest);
    throwIfAborted(opts.signal);
    await this.init();
    const ctx = {
      ...this.content,
      tempDir: this.tempDir,
      lock: this.lock,
      limits: this.layerLimits,
      unpackWorkerMinBytes: this.unpackWorkerMinBytes,
    };
    await this.writing.run(desc.digest, data, () => ingestBlob(ctx, desc, data, opts.signal), opts.signal);
  }

  /**
   * The manifest descriptor of the local image `ref` names (by tag or
   * digest reference). @throws NotFound.
   */
  async resolve(ref: Reference, opts: CallOptions = {}): Promise<RegistryDescriptor> {
    return this.locked(opts, async () => {
      const entries = await this.index.entries();
      const hit =
        entries.find((e) => e.ref === ref.normalized) ??
        (ref.digest === undefined ? undefined : entries.find((e) => e.manifest.digest === ref.digest));
      if (!hit) throw noSuchImage(ref.familiar);
      return { mediaType: hit.manifest.mediaType, digest: hit.manifest.digest, size: hit.manifest.size };
    });
  }

  /** The bytes of a stored blob, in chunks. @throws NotFound (on the first read). */
  async *readBlob(desc: RegistryDescriptor, opts: CallOptions = {}): AsyncGenerator<Uint8Array, void, undefined> {
    throwIfAborted(opts.signal);
    await this.init();
    for await (const chunk of this.blobs.read(desc.digest)) {
      throwIfAborted(opts.signal);
      yield chunk;
    }
  }

  /**
   * After a push ({@link ImageSource}): records `repo@<manifest digest>` of
   * `ref`'s repository as a repo digest of the image pushed, as docker does.
   * Does nothing when the manifest is not stored here.
   */
  async pushed(ref: Reference, manifest: RegistryDescriptor, opts: CallOptions = {}): Promise<void> {
    const desc: Descriptor = { mediaType: manifest.mediaType, digest: manifest.digest, size: manifest.size };
    const { digest } = pulledNames({ ...ref, digest: manifest.digest }, desc);
    await this.locked(opts, async () => {
      if (await this.blobs.has(desc.digest)) await this.index.tag(digest, desc);
    });
  }

  /** @inheritdoc */
  async remove(ref: string, opts: CallOptions & { force?: boolean } = {}): Promise<ImageDeleteResult[]> {
    const force = opts.force === true;
    return this.locked(opts, async () => {
      const s = await this.find(ref);
      const users = (await this.snapshots()).filter((r) => r.image === s.rec.id);
      const inUse = () =>
        failedPrecondition(
          `conflict: unable to remove image ${ref} (must force) - image is being used by container ${users[0]?.key}`,
          { details: { ref, id: s.rec.id, snapshot: users[0]?.key ?? '' } },
        );
      // Another tag keeps the image (repo digests alone do not); a digest reference just goes.
      const others = s.refs.filter((r) => r !== s.byRef && (s.byRef?.includes('@') || !r.includes('@')));
      if (s.byRef !== undefined && others.length > 0) {
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
      const untagged =
        s.byRef !== undefined ? [s.byRef, ...s.refs.filter((r) => r !== s.byRef).sort()] : [...s.refs].sort();
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
      {
        blobs: this.blobs,
        index: this.index,
        layersDir: this.layersDir,
        tempDir: this.tempDir,
        lock: this.lock,
        limits: this.layerLimits,
      },
      tar,
      reference,
      opts,
    );
    const found = (await this.locked({}, () => this.stored())).find((s) => s.rec.manifestDigest === manifestDigest);
    if (!found) throw internal(`imported image ${manifestDigest} vanished`);
    return this.toImage(found);
  }

  /**
   * Prepares snapshot `key` from `image` and returns its mounts. The image is
   * resolved, and the new snapshot counted as a user of its layers, under the
   * lock; its directories are made outside it, so starts at once do not queue
   * behind each other's file writes.
   */
  async prepare(key: string, image: string, opts: CallOptions = {}): Promise<Mount[]> {
    validateSnapshotKey(key);
    const claim: { record?: SnapshotRecord } = {};
    const img = await this.locked(opts, async () => {
      const found = this.toImage(await this.find(image));
      if (this.preparing.has(key)) throw alreadyExists(`snapshot ${key} already exists`, { details: { key } });
      claim.record = { key, image: found.id, layers: [...found.layers], created: new Date().toISOString() };
      this.preparing.set(key, claim.record);
      return found;
    });
    try {
      return await this.snapshotter.prepareFrom(key, img, opts);
    } finally {
      if (this.preparing.get(key) === claim.record) this.preparing.delete(key);
    }
  }

  /** The mounts of snapshot `key`. Its record is replaced atomically, so it is read without the lock. */
  async mounts(key: string, opts: CallOptions = {}): Promise<Mount[]> {
    throwIfAborted(opts.signal);
    await this.init();
    return this.snapshotter.mounts(key, opts);
  }

  /**
   * As `Snapshotter.removeSnapshot`. Layers only this snapshot still used (its image was force-removed) go with it.
   * The directory is removed outside the lock (nothing else writes it); the layers are collected under it.
   */
  async removeSnapshot(key: string, opts: CallOptions = {}): Promise<void> {
    throwIfAborted(opts.signal);
    await this.init();
    const record = await this.snapshotter.remove(key, opts);
    if (record) await this.locked({}, () => this.collectLayers(record.layers));
  }

  /** Settles once the files of removed snapshots are gone (a graceful stop waits for it). */
  settled(): Promise<void> {
    return this.snapshotter.settled();
  }

  /** @inheritdoc */
  async *save(refs: string[], opts: SaveOptions = {}): AsyncGenerator<Uint8Array, void, undefined> {
    if (refs.length === 0) throw invalidArgument('save needs at least one image');
    const format = opts.format ?? 'docker-archive';
    if (format !== 'docker-archive' && format !== 'oci-archive') {
      throw invalidArgument(`unknown archive format ${JSON.stringify(format)}: want docker-archive or oci-archive`);
    }
    const items = await this.locked(opts, async () => {
      const out: SaveItem[] = [];
      for (const ref of refs) {
        const s = await this.find(ref);
        const names = s.byRef !== undefined && !s.byRef.includes('@') ? [s.byRef] : []; // by ID: untagged, as Docker
        const known = out.find((i) => i.rec.id === s.rec.id);
        if (known) known.refs.push(...names.filter((n) => !known.refs.includes(n)));
        else out.push({ rec: s.rec, refs: names });
      }
      return out;
    });
    yield* saveArchive({ blobs: this.blobs, tempDir: this.tempDir }, items, format, opts.signal);
  }

  /** @inheritdoc */
  async load(tar: AsyncIterable<Uint8Array>, opts: CallOptions = {}): Promise<LoadedImage[]> {
    throwIfAborted(opts.signal);
    await this.init();
    return loadArchive(
      {
        blobs: this.blobs,
        tempDir: this.tempDir,
        writeBlob: (desc, data, signal) => this.writeBlob(desc, data, { signal }),
        manifestOf: (id) => this.locked({}, async () => (await this.stored()).find((s) => s.rec.id === id)?.desc),
        commitImage: (desc, refs) =>
          this.locked({}, async () => {
            await checkPulledImage(this.content, desc);
            if (refs.length === 0) await this.index.addUntagged(desc);
            for (const ref of refs) await this.index.tag(ref, desc);
          }),
        discard: (digests) =>
          this.locked({}, async () => {
            const images = (await this.stored()).map((s) => s.rec);
            await sweepOrphans(this.content, images, await this.snapshots(), { only: digests });
          }),
      },
      tar,
      opts.signal,
    );
  }

  /** @inheritdoc */
  async history(ref: string, opts: CallOptions = {}): Promise<HistoryEntry[]> {
    const s = await this.locked(opts, () => this.find(ref));
    return imageHistory(s.rec, s.refs);
  }

  /** As `ImageCollector.prune`. Blobs younger than `gcGraceMs` that nothing names are kept (a pull may be in flight). */
  async prune(opts: PruneOptions = {}): Promise<PruneResult> {
    const filters = parsePruneFilters(opts.filters);
    return this.locked(opts, async () => {
      if (opts.liveSnapshots !== undefined) await this.removeDeadSnapshots(new Set(opts.liveSnapshots));
      const inUse = new Set((await this.snapshots()).map((r) => r.image));
      const deleted: PruneResult['deleted'] = [];
      let spaceReclaimed = 0;
      const stored = await this.stored();
      // As docker: an untagged image that others were built from is an intermediate, not dangling.
      const hasChildren = new Set(parentsOf(stored.map((s) => s.rec)).values());
      for (const s of stored) {
        if (inUse.has(s.rec.id)) continue;
        if (!opts.all && (s.refs.some((r) => !r.includes('@')) || hasChildren.has(s.rec.id))) continue;
        if (!labelsMatch(filters, s.rec.config.config?.Labels)) continue;
        if (!createdBefore(filters, s.rec.config.created ?? '')) continue;
        await this.index.removeImage(s.rec.manifestDigest);
        spaceReclaimed += await this.collect(s.rec);
        deleted.push(...[...s.refs].sort().map((untagged) => ({ untagged })), { deleted: s.rec.id });
      }
      const images = (await this.stored()).map((s) => s.rec);
      spaceReclaimed += await sweepOrphans(this.content, images, await this.snapshots(), {
        minAgeMs: this.gcGraceMs,
      });
      return { deleted, spaceReclaimed };
    });
  }

  /** @inheritdoc */
  async diff(key: string, opts: DiffOptions = {}): Promise<LayerInfo> {
    validateSnapshotKey(key);
    const record = await this.locked(opts, () => this.snapshotter.record(key));
    const lowers = [...record.layers].reverse().map((id) => join(this.layersDir, digestHex(id), 'fs'));
    return storeSnapshotDiff(this.layerContext(), join(this.root, 'snapshots', key, 'upper'), lowers, opts);
  }

  /** @inheritdoc */
  async createImage(req: NewImage, opts: CallOptions = {}): Promise<Image> {
    const reference = req.reference ? normalizeTag(req.reference) : undefined;
    return this.locked(opts, async () => {
      const parent = req.parent ? (await this.find(req.parent)).rec : undefined;
      const digest = await writeNewImage(this.layerContext(), parent, req, reference);
      const found = (await this.stored()).find((s) => s.rec.manifestDigest === digest);
      if (!found) throw internal(`new image ${digest} vanished`);
      return this.toImage(found);
    });
  }

  private layerContext(): LayerContext {
    return {
      blobs: this.blobs,
      index: this.index,
      records: this.records,
      layersDir: this.layersDir,
      tempDir: this.tempDir,
      lock: this.lock,
    };
  }

  /** Removes the snapshots not in `live` that are older than the grace period (a create or build may be under way). */
  private async removeDeadSnapshots(live: Set<string>): Promise<void> {
    const now = Date.now();
    for (const r of await this.snapshotter.list()) {
      if (live.has(r.key) || now - Date.parse(r.created) < this.gcGraceMs) continue;
      await this.snapshotter.remove(r.key);
      await this.collectLayers(r.layers);
    }
  }

  /** Creates the directories and drops scratch files and orphans (of failed pulls) a crash or failure left behind. */
  private init(): Promise<void> {
    this.ready ??= (async () => {
      for (const d of [this.layersDir, this.tempDir, this.records.dir, join(this.root, 'snapshots')]) {
        await mkdir(d, { recursive: true });
      }
      this.snapshotter.sweep(); // removed snapshots a crash left in the trash (their names are never reused)
      for (const name of await readdir(this.tempDir))
        await rm(join(this.tempDir, name), { recursive: true, force: true });
      await this.blobs.init();
      await this.index.update((entries) => ({ entries, result: undefined }));
      await sweepOrphans(
        this.content,
        (await this.stored()).map((s) => s.rec),
        await this.snapshots(),
      );
    })().catch((err: unknown) => {
      this.ready = undefined;
      throw err;
    });
    return this.ready;
  }

  /** Every snapshot: those on disk and those being prepared. */
  private async snapshots(): Promise<SnapshotRecord[]> {
    const listed = await this.snapshotter.list();
    const keys = new Set(listed.map((r) => r.key));
    return [...listed, ...[...this.preparing.values()].filter((r) => !keys.has(r.key))];
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
    let unpacked = 0;
    for (const l of manifest.layers ?? []) unpacked += (await this.records.get(l.digest))?.size ?? l.size;
    this.unpackedSizes.set(manifestDigest, unpacked);
    this.cache.set(manifestDigest, rec);
    return rec;
  }

  /**
   * Finds an image by full ID, reference, or ID prefix (4+ hex digits).
   * @throws NotFound; InvalidArgument for a malformed reference or an ambiguous prefix.
   */
  private async find(ref: string): Promise<Resolved> {
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

  private toImage(s: Stored, parents?: Map<string, string>): Image {
    const image = toImage(s.rec, s.refs);
    const parent = parents?.get(s.rec.id);
    if (parent) image.parent = parent;
    // As docker: the size layers take unpacked (a pulled layer's blob is compressed).
    const size = this.unpackedSizes.get(s.rec.manifestDigest);
    return size === undefined ? image : { ...image, size };
  }

  /** Deletes the blobs and unpacked layers of a removed image that nothing else uses; resolves with the bytes freed. */
  private async collect(rec: ImageRecord): Promise<number> {
    const keep = new Set<string>();
    for (const s of await this.stored()) {
      keep.add(s.rec.manifestDigest).add(s.rec.id);
      for (const l of s.rec.manifest.layers) keep.add(l.digest);
    }
    let freed = 0;
    for (const digest of [rec.manifestDigest, rec.id, ...rec.manifest.layers.map((l) => l.digest)]) {
      if (keep.has(digest)) continue;
      freed += await this.blobs.size(digest).catch(() => 0);
      await this.blobs.delete(digest);
      await this.records.delete(digest);
    }
    this.cache.delete(rec.manifestDigest);
    await this.collectLayers(rec.config.rootfs.diff_ids);
    return freed;
  }

  /**
   * Deletes the unpacked layers among `diffIds` that no image or snapshot
   * uses. The snapshots are read only when an image does not keep them all
   * (the common removal of a container whose image is still there reads none).
   */
  private async collectLayers(diffIds: string[]): Promise<void> {
    const keep = new Set<string>();
    for (const s of await this.stored()) for (const id of s.rec.config.rootfs.diff_ids) keep.add(id);
    if (diffIds.every((id) => keep.has(id))) return;
    for (const r of await this.snapshots()) for (const id of r.layers) keep.add(id);
    for (const id of diffIds) {
      if (!keep.has(id)) await rm(join(this.layersDir, digestHex(id)), { recursive: true, force: true });
    }
  }
}

/** Creates a {@link LocalImageService} over `root`; nothing touches the disk until the first call. */
export function createLocalImageService(options: LocalImageServiceOptions): LocalImageService {
  return new LocalImageService(options);
}
