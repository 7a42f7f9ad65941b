import { describe, expect, it } from 'vitest';
import type { Image } from '@tscr/api';
import { EventBus, EventedImageService } from '@tscr/daemon/local';
import type { ImageService } from '@tscr/image';

const image = { id: `sha256:${'1'.repeat(64)}` } as Image;

const inner: ImageService = {
  list: async () => [image],
  get: async () => image,
  tag: async () => undefined,
  remove: async () => [{ untagged: 'docker.io/library/a:1' }, { deleted: image.id }],
  importTar: async () => image,
  prepare: async () => [],
  mounts: async () => [],
  removeSnapshot: async () => undefined,
  save: async function* () {},
  load: async () => [],
  history: async () => [],
  prune: async () => ({ deleted: [], spaceReclaimed: 0 }),
} as unknown as ImageService;

describe('EventedImageService', () => {
  it('publishes import, tag, untag and delete events and forwards results', async () => {
    const bus = new EventBus();
    const it = bus.subscribe({ types: ['image'] })[Symbol.asyncIterator]();
    const images = new EventedImageService(inner, bus);
    expect(await images.importTar((async function* () {})(), { reference: 'a:1' })).toBe(image);
    await images.tag('a:1', 'b:2');
    expect(await images.remove('a:1')).toHaveLength(2);
    const got: string[] = [];
    for (let i = 0; i < 4; i++) {
      const e = (await it.next()).value as { action: string; id: string; attributes: Record<string, string> };
      got.push(`${e.action} ${e.attributes.name}`);
    }
    expect(got).toEqual(['import a:1', 'tag b:2', 'untag docker.io/library/a:1', 'delete a:1']);
    await it.return?.();
  });
});
