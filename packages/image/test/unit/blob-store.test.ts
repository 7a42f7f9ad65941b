import { readFile, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isInvalidArgument, isNotFound } from '@tscr/api';
import { makeTempDir } from '@tscr/testkit';
import { BlobStore, sha256Digest } from '../../src/local/blob-store.js';

async function* chunks(...parts: string[]): AsyncGenerator<Uint8Array> {
  for (const p of parts) yield Buffer.from(p);
}

describe('BlobStore', () => {
  let dir: string;
  let store: BlobStore;

  beforeEach(async () => {
    dir = await makeTempDir('blobs');
    store = new BlobStore(join(dir, 'content'), { tempDir: join(dir, 'tmp') });
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('lays out an OCI image layout', async () => {
    await store.init();
    expect(JSON.parse(await readFile(join(dir, 'content', 'oci-layout'), 'utf8'))).toEqual({
      imageLayoutVersion: '1.0.0',
    });
    expect(await readdir(join(dir, 'content', 'blobs'))).toEqual(['sha256']);
  });

  it('stores content under its sha256 and reads it back', async () => {
    const info = await store.put(chunks('hello ', 'world'));
    expect(info).toEqual({ digest: sha256Digest('hello world'), size: 11, added: true });
    expect(store.path(info.digest)).toBe(join(dir, 'content', 'blobs', 'sha256', info.digest.slice(7)));
    expect(await store.has(info.digest)).toBe(true);
    expect((await store.get(info.digest)).toString()).toBe('hello world');
    expect(await store.size(info.digest)).toBe(11);
    const parts: Buffer[] = [];
    for await (const c of store.read(info.digest)) parts.push(c);
    expect(Buffer.concat(parts).toString()).toBe('hello world');
    expect(await store.list()).toEqual([info.digest]);
  });

  it('deduplicates identical content', async () => {
    await store.put(Buffer.from('same'));
    const again = await store.put(Buffer.from('same'));
    expect(again.added).toBe(false);
    expect(await store.list()).toHaveLength(1);
  });

  it('verifies an expected digest and keeps nothing on mismatch', async () => {
    const wrong = sha256Digest('something else');
    const err = await store.put(chunks('data'), { expected: wrong }).catch((e: unknown) => e);
    expect(isInvalidArgument(err)).toBe(true);
    expect(await store.list()).toEqual([]);
    expect(await readdir(join(dir, 'tmp'))).toEqual([]);
    const ok = await store.put(chunks('data'), { expected: sha256Digest('data') });
    expect(ok.added).toBe(true);
  });

  it('leaves nothing behind when the source fails midway', async () => {
    async function* broken(): AsyncGenerator<Uint8Array> {
      yield Buffer.from('part');
      throw new Error('source broke');
    }
    await expect(store.put(broken())).rejects.toThrow(/source broke/);
    expect(await store.list()).toEqual([]);
    expect(await readdir(join(dir, 'tmp'))).toEqual([]);
  });

  it('raises NotFound for a missing blob and InvalidArgument for a malformed digest', async () => {
    const missing = sha256Digest('never stored');
    expect(isNotFound(await store.get(missing).catch((e: unknown) => e))).toBe(true);
    expect(isNotFound(await store.size(missing).catch((e: unknown) => e))).toBe(true);
    expect(await store.has(missing)).toBe(false);
    expect(() => store.path('sha256:xyz')).toThrow();
    expect(isInvalidArgument(await store.has('md5:abc').catch((e: unknown) => e))).toBe(true);
  });

  it('deletes blobs', async () => {
    const { digest } = await store.put(Buffer.from('bye'));
    expect(await store.delete(digest)).toBe(true);
    expect(await store.delete(digest)).toBe(false);
    expect(await store.has(digest)).toBe(false);
  });
});
