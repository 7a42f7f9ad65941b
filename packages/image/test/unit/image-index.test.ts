import { readFile, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isNotFound, type Descriptor } from '@tscr/api';
import { makeTempDir } from '@tscr/testkit';
import { ImageIndex, REF_NAME_ANNOTATION, UNTAGGED_ANNOTATION } from '../../src/local/image-index.js';
import { sha256Digest } from '../../src/local/blob-store.js';

const M = 'application/vnd.oci.image.manifest.v1+json';
const desc = (name: string): Descriptor => ({ mediaType: M, digest: sha256Digest(name), size: name.length });

describe('ImageIndex', () => {
  let dir: string;
  let index: ImageIndex;

  beforeEach(async () => {
    dir = await makeTempDir('index');
    index = new ImageIndex(join(dir, 'index.json'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('is empty before anything is written', async () => {
    expect(await index.entries()).toEqual([]);
  });

  it('writes an OCI index with ref.name annotations', async () => {
    const a = desc('a');
    await index.tag('docker.io/library/a:1', a);
    const doc = JSON.parse(await readFile(index.file, 'utf8'));
    expect(doc.schemaVersion).toBe(2);
    expect(doc.mediaType).toBe('application/vnd.oci.image.index.v1+json');
    expect(doc.manifests).toEqual([{ ...a, annotations: { [REF_NAME_ANNOTATION]: 'docker.io/library/a:1' } }]);
    expect(await index.lookup('docker.io/library/a:1')).toEqual(a);
  });

  it('keeps untagged images listed with an annotation', async () => {
    const a = desc('a');
    await index.addUntagged(a);
    await index.addUntagged(a);
    const doc = JSON.parse(await readFile(index.file, 'utf8'));
    expect(doc.manifests).toEqual([{ ...a, annotations: { [UNTAGGED_ANNOTATION]: 'true' } }]);
    expect(await index.entries()).toEqual([{ manifest: a }]);
    // Tagging replaces the untagged entry.
    await index.tag('docker.io/library/a:1', a);
    expect(await index.entries()).toEqual([{ ref: 'docker.io/library/a:1', manifest: a }]);
  });

  it('moving a tag leaves the old image untagged', async () => {
    const a = desc('a');
    const b = desc('b');
    await index.tag('docker.io/library/x:1', a);
    expect(await index.tag('docker.io/library/x:1', b)).toBe(a.digest);
    const entries = await index.entries();
    expect(entries).toContainEqual({ ref: 'docker.io/library/x:1', manifest: b });
    expect(entries).toContainEqual({ manifest: a });
    expect(entries).toHaveLength(2);
  });

  it('untags, optionally keeping the image listed', async () => {
    const a = desc('a');
    await index.tag('docker.io/library/x:1', a);
    await index.tag('docker.io/library/x:2', a);
    expect(await index.untag('docker.io/library/x:1')).toBe(a.digest);
    expect(await index.untag('docker.io/library/x:2', { keepImage: true })).toBe(a.digest);
    expect(await index.entries()).toEqual([{ manifest: a }]);
    expect(isNotFound(await index.untag('docker.io/library/x:9').catch((e: unknown) => e))).toBe(true);
  });

  it('removes every entry of an image', async () => {
    const a = desc('a');
    const b = desc('b');
    await index.tag('docker.io/library/x:1', a);
    await index.tag('docker.io/library/y:1', a);
    await index.tag('docker.io/library/z:1', b);
    expect((await index.removeImage(a.digest)).sort()).toEqual(['docker.io/library/x:1', 'docker.io/library/y:1']);
    expect(await index.entries()).toEqual([{ ref: 'docker.io/library/z:1', manifest: b }]);
  });

  it('serializes concurrent updates (none is lost) and leaves no temp files', async () => {
    await Promise.all(Array.from({ length: 20 }, (_, i) => index.tag(`docker.io/library/t:${i}`, desc(`d${i}`))));
    expect(await index.entries()).toHaveLength(20);
    expect(await readdir(dir)).toEqual(['index.json']);
  });
});
