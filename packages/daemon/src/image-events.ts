import type { Image, ImageDeleteResult, Mount } from '@tscr/api';
import type { EventPublisher } from '@tscr/container';
import type {
  CallOptions,
  HistoryEntry,
  ImageService,
  ImportOptions,
  LoadedImage,
  PruneOptions,
  PruneResult,
  SaveOptions,
} from '@tscr/image';
import type { DiffOptions, LayerInfo, NewImage } from '@tscr/image';

/**
 * An {@link ImageService} that publishes `image` events (`import`, `tag`,
 * `untag`, `delete`) for the changes made through it, and otherwise
 * forwards every call unchanged.
 */
export class EventedImageService implements ImageService {
  /**
   * @param liveSnapshots the snapshot keys in use (container IDs): given, `prune`
   *   also collects the snapshots of containers that are gone.
   */
  constructor(
    private readonly inner: ImageService,
    private readonly events: EventPublisher,
    private readonly liveSnapshots?: () => string[],
  ) {}

  list(opts?: CallOptions): Promise<Image[]> {
    return this.inner.list(opts);
  }

  get(ref: string, opts?: CallOptions): Promise<Image> {
    return this.inner.get(ref, opts);
  }

  async tag(source: string, target: string, opts?: CallOptions): Promise<void> {
    await this.inner.tag(source, target, opts);
    const image = await this.inner.get(target, opts).catch(() => undefined);
    this.publish('tag', image?.id ?? source, { name: target });
  }

  async remove(ref: string, opts?: CallOptions & { force?: boolean }): Promise<ImageDeleteResult[]> {
    const results = await this.inner.remove(ref, opts);
    for (const r of results) {
      if (r.untagged) this.publish('untag', r.untagged, { name: r.untagged });
      if (r.deleted) this.publish('delete', r.deleted, { name: ref });
    }
    return results;
  }

  async importTar(tar: AsyncIterable<Uint8Array>, opts?: ImportOptions): Promise<Image> {
    const image = await this.inner.importTar(tar, opts);
    this.publish('import', image.id, opts?.reference ? { name: opts.reference } : {});
    return image;
  }

  prepare(key: string, image: string, opts?: CallOptions): Promise<Mount[]> {
    return this.inner.prepare(key, image, opts);
  }

  mounts(key: string, opts?: CallOptions): Promise<Mount[]> {
    return this.inner.mounts(key, opts);
  }

  removeSnapshot(key: string, opts?: CallOptions): Promise<void> {
    return this.inner.removeSnapshot(key, opts);
  }

  diff(key: string, opts?: DiffOptions): Promise<LayerInfo> {
    return this.inner.diff(key, opts);
  }

  async createImage(req: NewImage, opts?: CallOptions): Promise<Image> {
    const image = await this.inner.createImage(req, opts);
    if (req.reference) this.publish('tag', image.id, { name: req.reference });
    return image;
  }

  async *save(refs: string[], opts?: SaveOptions): AsyncGenerator<Uint8Array, void, undefined> {
    yield* this.inner.save(refs, opts);
    for (const ref of refs) this.publish('save', ref, { name: ref });
  }

  async load(tar: AsyncIterable<Uint8Array>, opts?: CallOptions): Promise<LoadedImage[]> {
    const loaded = await this.inner.load(tar, opts);
    for (const l of loaded) this.publish('load', l.id, l.refs[0] ? { name: l.refs[0] } : {});
    return loaded;
  }

  history(ref: string, opts?: CallOptions): Promise<HistoryEntry[]> {
    return this.inner.history(ref, opts);
  }

  async prune(opts?: PruneOptions): Promise<PruneResult> {
    const live = opts?.liveSnapshots ?? this.liveSnapshots?.();
    const result = await this.inner.prune(live === undefined ? opts : { ...opts, liveSnapshots: live });
    for (const r of result.deleted) {
      if (r.untagged) this.publish('untag', r.untagged, { name: r.untagged });
      if (r.deleted) this.publish('delete', r.deleted, { name: r.deleted });
    }
    this.publish('prune', '', { reclaimed: String(result.spaceReclaimed) });
    return result;
  }

  private publish(action: string, id: string, attributes: Record<string, string>): void {
    this.events.publish({ type: 'image', action, id, attributes });
  }
}
