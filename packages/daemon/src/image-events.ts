import type { Image, ImageDeleteResult, Mount } from '@tscr/api';
import type { EventPublisher } from '@tscr/container';
import type { CallOptions, ImageService, ImportOptions } from '@tscr/image';

/**
 * An {@link ImageService} that publishes `image` events (`import`, `tag`,
 * `untag`, `delete`) for the changes made through it, and otherwise
 * forwards every call unchanged.
 */
export class EventedImageService implements ImageService {
  constructor(
    private readonly inner: ImageService,
    private readonly events: EventPublisher,
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

  private publish(action: string, id: string, attributes: Record<string, string>): void {
    this.events.publish({ type: 'image', action, id, attributes });
  }
}
