import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { errorCode, type Descriptor } from '@tscr/api';
import { makeTempDir } from '@tscr/testkit';
import { MediaTypes } from '../../src/index.js';
import { BlobStore, createLocalImageService, ImageIndex, sha256Digest } from '../../src/local/index.js';
import type { OciImageConfig, OciManifest } from '../../src/index.js';
import type { LocalImageService } from '../../src/local/index.js';

const LAYER = sha256Digest('layer');

function configFor(n: number): string {
  const c: OciImageConfig = {
    created: new Date(Date.UTC(2024, 0, 1, 0, 0, n)).toISOString(),
    architecture: 'amd64',
    os: 'linux',
    rootfs: { type: 'layers', diff_ids: [LAYER] },
  };
  return JSON.stringify(c);
}

/** Two configs whose digests share their first four hex digits (found by search, in memory). */
function collidingConfigs(): [string, string] {
  const seen = new Map<string, string>();
  for (let n = 0; ; n++) {
    const text = configFor(n);
    const prefix = sha256Digest(text).slice(7, 11);
    const other = seen.get(prefix);
    if (other !== undefined) return [other, text];
    seen.set(prefix, text);
  }
}

/**
 * Resolution and listing without root or busybox: images are written
 * straight into the layout (config + manifest blobs, index entries).
 */
describe('LocalImageService name resolution', () => {
  let root: string;
  let svc: LocalImageService;
  let blobs: BlobStore;
  let index: ImageIndex;

  beforeEach(async () => {
    root = await makeTempDir('image-resolve');
    svc = createLocalImageService({ root });
    await svc.list();
    blobs = new BlobStore(join(root, 'content'), { tempDir: join(root, 'tmp') });
    index = new ImageIndex(join(root, 'content', 'index.json'));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  async function addImage(config: string, ref?: string): Promise<{ id: string; manifest: Descriptor }> {
    const c = await blobs.put(Buffer.from(config));
    const m: OciManifest = {
      schemaVersion: 2,
      mediaType: MediaTypes.manifest,
      config: { mediaType: MediaTypes.config, digest: c.digest, size: c.size },
      layers: [{ mediaType: MediaTypes.layer, digest: LAYER, size: 10 }],
    };
    const stored = await blobs.put(Buffer.from(JSON.stringify(m)));
    const manifest = { mediaType: MediaTypes.manifest, digest: stored.digest, size: stored.size };
    if (ref) await index.tag(ref, manifest);
    else await index.addUntagged(manifest);
    return { id: c.digest, manifest };
  }

  it('reports an ambiguous ID prefix as InvalidArgument, and a longer one resolves', async () => {
    const [a, b] = collidingConfigs();
    const one = await addImage(a, 'docker.io/library/one:latest');
    const two = await addImage(b);
    const prefix = one.id.slice(7, 11);
    expect(two.id.slice(7, 11)).toBe(prefix);
    const err = await svc.get(prefix).catch((e: unknown) => e);
    expect(errorCode(err)).toBe('InvalidArgument');
    expect((err as Error).message).toMatch(/ambiguous/);
    const longer = (id: string, other: string) => {
      let n = 5;
      while (id.slice(7, 7 + n) === other.slice(7, 7 + n)) n++;
      return id.slice(7, 7 + n);
    };
    expect((await svc.get(longer(one.id, two.id))).id).toBe(one.id);
    expect((await svc.get(longer(two.id, one.id))).id).toBe(two.id);
    expect((await svc.get('one')).id).toBe(one.id);
  });

  it('lists newest first, with untagged images and sizes from the manifest', async () => {
    const older = await addImage(configFor(1), 'docker.io/library/old:1');
    const newer = await addImage(configFor(2));
    const list = await svc.list();
    expect(list.map((i) => i.id)).toEqual([newer.id, older.id]);
    expect(list[0]?.repoTags).toEqual([]);
    expect(list[1]).toMatchObject({ repoTags: ['docker.io/library/old:1'], size: 10, layers: [LAYER], os: 'linux' });
  });

  it('prefers a reference over an ID prefix that spells the same name', async () => {
    const img = await addImage(configFor(3));
    const name = img.id.slice(7, 13); // hex, and also a valid repository name
    const other = await addImage(configFor(4), `docker.io/library/${name}:latest`);
    expect((await svc.get(name)).id).toBe(other.id);
    expect((await svc.get(img.id.slice(7, 20))).id).toBe(img.id);
  });

  it('raises NotFound for unknown names, IDs and prefixes', async () => {
    for (const ref of ['nothing', `sha256:${'f'.repeat(64)}`, 'ffff', 'abc']) {
      expect(errorCode(await svc.get(ref).catch((e: unknown) => e)), ref).toBe('NotFound');
    }
  });
});
