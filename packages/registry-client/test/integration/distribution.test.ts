import { randomBytes, createHash } from 'node:crypto';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorCode, isCancelled, isNotFound, isUnavailable } from '@tscr/api';
import { MediaTypes, parseReference, type Progress } from '@tscr/registry-client';
import {
  createDistributionClient,
  createHttpTransport,
  createRegistryClient,
  type DistributionClient,
  type HttpTransport,
} from '@tscr/registry-client/local';
import { busyboxRootfsTar, makeTempDir, rejection } from '@tscr/testkit';
import { OciLayout, buildImage, type TestImage } from '../fixtures/oci-layout.js';
import { freePort, skipUnlessRegistry, startRegistry, type RegistryFixture } from '../fixtures/registry.js';

const skip = skipUnlessRegistry();
const sha = (b: Uint8Array) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

async function collect(stream: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const c of stream) parts.push(c);
  return Buffer.concat(parts);
}

async function drain(stream: AsyncIterable<Progress>): Promise<Progress[]> {
  const out: Progress[] = [];
  for await (const p of stream) out.push(p);
  return out;
}

describe.skipIf(skip)(`distribution client against docker-registry ${skip ? `(skipped: ${skip})` : ''}`, () => {
  let registry: RegistryFixture;
  let dir: string;
  let client: DistributionClient;
  let src: OciLayout;
  let image: TestImage;
  let ref: string;

  beforeAll(async () => {
    registry = await startRegistry();
    dir = await makeTempDir('registry-client');
    const tar = await readFile(await busyboxRootfsTar(dir, join(dir, 'rootfs.tar')));
    src = await new OciLayout(join(dir, 'src')).init();
    ref = `${registry.host}/tscr-test/busybox:v1`;
    image = await buildImage(src, parseReference(ref), [tar, Buffer.from('a second, tiny layer')]);
    client = createDistributionClient();
  });
  afterAll(async () => {
    await registry?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('pings the registry over plain HTTP on loopback', async () => {
    await client.ping(registry.host);
  });

  it('pushes an image from a store and reads it back', async () => {
    const progress = await drain(
      createRegistryClient({ store: src }).push(ref, { signal: AbortSignal.timeout(30_000) }),
    );
    expect(
      progress
        .filter((p) => p.status === 'Pushed')
        .map((p) => p.id)
        .sort(),
    ).toEqual(image.layers.map((l) => l.desc.digest).sort()); // layers only, as docker: not the config
    expect(progress.some((p) => p.id === image.config.digest)).toBe(false);
    expect(progress.at(-1)?.status).toBe(`v1: digest: ${image.manifest.digest} size: ${image.manifest.size}`);
    expect(await client.headManifest(ref)).toMatchObject({ digest: image.manifest.digest, size: image.manifest.size });
    const got = await client.getManifest(ref);
    expect(got.digest).toBe(image.manifest.digest);
    expect(got.bytes.equals(image.manifestBytes)).toBe(true);
    expect(got.manifest.kind).toBe('manifest');
    const byDigest = await client.getManifest(`${registry.host}/tscr-test/busybox@${image.manifest.digest}`);
    expect(byDigest.digest).toBe(image.manifest.digest);
    const layer = image.layers[0]!;
    expect((await collect(client.getBlob(`${registry.host}/tscr-test/busybox`, layer.desc))).equals(layer.bytes)).toBe(
      true,
    );
  });

  it('pushing again finds every blob already there', async () => {
    const progress = await drain(createRegistryClient({ store: src }).push(ref));
    expect(progress.filter((p) => p.status === 'Layer already exists')).toHaveLength(image.layers.length);
  });

  it('pulls the image into another store, verified', async () => {
    const dst = await new OciLayout(join(dir, 'dst')).init();
    const puller = createRegistryClient({ store: dst, platform: { os: 'linux', architecture: 'amd64' } });
    const progress = await drain(puller.pull(ref));
    expect(progress.some((p) => p.status === `Digest: ${image.manifest.digest}`)).toBe(true);
    for (const d of [image.manifest, image.config, ...image.layers.map((l) => l.desc)]) {
      expect(sha(await readFile(dst.blobPath(d.digest)))).toBe(d.digest);
    }
    expect((await dst.resolve(parseReference(ref))).digest).toBe(image.manifest.digest);
    // A second pull finds everything in the store.
    const again = await drain(puller.pull(ref));
    expect(again.filter((p) => p.status === 'Already exists')).toHaveLength(image.layers.length);
    expect(progress.some((p) => p.id === image.config.digest)).toBe(false);
  });

  it('resolves a reference to its config and layers', async () => {
    const r = await createRegistryClient().resolve(ref, { platform: { os: 'linux', architecture: 'amd64' } });
    expect(r.digest).toBe(image.manifest.digest);
    expect(r.configBytes.equals(image.configBytes)).toBe(true);
    expect(r.layers.map((l) => l.digest)).toEqual(image.layers.map((l) => l.desc.digest));
  });

  it('lists tags with pagination and the catalog', async () => {
    for (const t of ['v2', 'v3', 'v4']) {
      await client.putManifest(`${registry.host}/tscr-test/busybox:${t}`, image.manifestBytes, MediaTypes.ociManifest);
    }
    expect((await client.listTags(`${registry.host}/tscr-test/busybox`, { pageSize: 2 })).sort()).toEqual([
      'v1',
      'v2',
      'v3',
      'v4',
    ]);
    await client.mountBlob(
      `${registry.host}/tscr-test/busybox`,
      `${registry.host}/tscr-test/other`,
      image.config.digest,
    );
    expect(await client.catalog(registry.host, { pageSize: 1 })).toEqual(['tscr-test/busybox', 'tscr-test/other']);
  });

  it('checks blobs with HEAD', async () => {
    const repo = `${registry.host}/tscr-test/busybox`;
    expect(await client.headBlob(repo, image.config.digest)).toEqual({
      digest: image.config.digest,
      size: image.config.size,
    });
    expect(await client.headBlob(repo, sha(randomBytes(8)))).toBeUndefined();
  });

  it('mounts a blob across repositories, and declines a blob it does not have', async () => {
    const from = `${registry.host}/tscr-test/busybox`;
    const to = `${registry.host}/tscr-test/mounted`;
    const layer = image.layers[0]!.desc;
    expect(await client.mountBlob(from, to, layer.digest)).toBe(true);
    expect(await client.headBlob(to, layer.digest)).toMatchObject({ size: layer.size });
    expect(await client.mountBlob(from, to, sha(randomBytes(8)))).toBe(false);
  });

  it('uploads in chunks with Content-Range', async () => {
    const repo = `${registry.host}/tscr-test/chunked`;
    const data = randomBytes(300 * 1024);
    const desc = { digest: sha(data), size: data.length };
    const seen: number[] = [];
    const result = await client.pushBlob(repo, desc, data, { chunkSize: 64 * 1024, onProgress: (n) => seen.push(n) });
    expect(result.status).toBe('uploaded');
    expect(seen).toEqual([65536, 131072, 196608, 262144, 307200]);
    expect((await collect(client.getBlob(repo, desc))).equals(data)).toBe(true);
  });

  it('sends a chunk again when the connection breaks before it arrives', async () => {
    const real = createHttpTransport();
    let patches = 0;
    // Fails the second PATCH before sending it, as a reset connection would.
    const lossy: HttpTransport = {
      async send(req) {
        if (req.method === 'PATCH' && ++patches === 2) {
          throw Object.assign(new Error('reset'), {
            name: 'TscrError',
            code: 'Unavailable',
            details: { errno: 'ECONNRESET' },
          });
        }
        return real.send(req);
      },
    };
    const c = createDistributionClient({ transport: lossy, retry: { baseDelayMs: 1 } });
    const repo = `${registry.host}/tscr-test/resent`;
    const data = randomBytes(200 * 1024);
    const desc = { digest: sha(data), size: data.length };
    expect((await c.pushBlob(repo, desc, data, { chunkSize: 64 * 1024 })).status).toBe('uploaded');
    expect(patches).toBe(5);
    expect((await collect(client.getBlob(repo, desc))).equals(data)).toBe(true);
  });

  it('starts over when distribution drops an upload after a lost PATCH answer', async () => {
    const real = createHttpTransport();
    const calls: string[] = [];
    let patches = 0;
    // Delivers the second PATCH, then loses its answer as a reset connection would.
    const lossy: HttpTransport = {
      async send(req) {
        calls.push(req.method);
        const res = await real.send(req);
        if (req.method === 'PATCH' && ++patches === 2) {
          res.discard();
          throw Object.assign(new Error('lost'), {
            name: 'TscrError',
            code: 'Unavailable',
            details: { errno: 'ECONNRESET' },
          });
        }
        return res;
      },
    };
    const c = createDistributionClient({ transport: lossy, retry: { baseDelayMs: 1 } });
    const repo = `${registry.host}/tscr-test/lost`;
    const data = randomBytes(200 * 1024);
    const desc = { digest: sha(data), size: data.length };
    expect((await c.pushBlob(repo, desc, data, { chunkSize: 64 * 1024 })).status).toBe('uploaded');
    expect(calls.filter((m) => m === 'POST')).toHaveLength(2);
    expect((await collect(client.getBlob(repo, desc))).equals(data)).toBe(true);

    // A stream cannot be sent again: the upload fails cleanly and leaves nothing behind.
    patches = 0;
    const other = randomBytes(200 * 1024);
    const stream = (async function* () {
      yield other;
    })();
    const err = await rejection(
      c.pushBlob(repo, { digest: sha(other), size: other.length }, stream, { chunkSize: 64 * 1024 }),
    );
    expect(errorCode(err)).toBe('FailedPrecondition');
    expect(err.details.ref).toBe(`${repo}@${sha(other)}`);
    expect(await client.headBlob(repo, sha(other))).toBeUndefined();
  });

  it('refuses to push a blob whose stored content does not match its digest', async () => {
    const bad = await new OciLayout(join(dir, 'corrupt')).init();
    const r = `${registry.host}/tscr-test/corrupt:v1`;
    const img = await buildImage(bad, parseReference(r), [Buffer.from('original layer content')]);
    const layer = img.layers[0]!.desc;
    await writeFile(bad.blobPath(layer.digest), randomBytes(layer.size));
    const err = await rejection(drain(createRegistryClient({ store: bad }).push(r)));
    expect(errorCode(err)).toBe('DataLoss');
    expect(err.details.digest).toBe(layer.digest);
    expect(await client.headBlob(`${registry.host}/tscr-test/corrupt`, layer.digest)).toBeUndefined();
    expect(await client.headManifest(r)).toBeUndefined();
  });

  it('deletes a manifest by tag', async () => {
    const tagged = `${registry.host}/tscr-test/busybox:v4`;
    await client.deleteManifest(tagged);
    expect(await client.headManifest(tagged)).toBeUndefined();
    const err = await rejection(client.getManifest(tagged));
    expect(isNotFound(err)).toBe(true);
    expect(err.details.ref).toBe(tagged);
  });

  it('raises NotFound naming the reference for an unknown manifest', async () => {
    const missing = `${registry.host}/tscr-test/busybox:nope`;
    const err = await rejection(client.getManifest(missing));
    expect(isNotFound(err)).toBe(true);
    expect(err.details.ref).toBe(missing);
    expect(err.message).toContain(missing);
  });

  it('selects a platform from an index, and fails clearly when none matches', async () => {
    const arm = await buildImage(
      src,
      parseReference(`${registry.host}/tscr-test/multi:arm`),
      [Buffer.from('arm layer')],
      'arm64',
    );
    const indexBytes = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MediaTypes.ociIndex,
        manifests: [
          { ...image.manifest, platform: { os: 'linux', architecture: 'amd64' } },
          { ...arm.manifest, platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } },
        ],
      }),
    );
    const index = await src.putBytes(MediaTypes.ociIndex, indexBytes);
    const multi = `${registry.host}/tscr-test/multi:latest`;
    await src.tag(parseReference(multi), index);
    await drain(createRegistryClient({ store: src }).push(multi));
    const got = await client.getManifest(multi, { platform: { os: 'linux', architecture: 'arm64' } });
    expect(got.digest).toBe(arm.manifest.digest);
    expect(got.index?.digest).toBe(index.digest);
    const amd = await client.resolve(multi, { platform: { os: 'linux', architecture: 'amd64' } });
    expect(amd.digest).toBe(image.manifest.digest);
    const err = await rejection(client.resolve(multi, { platform: { os: 'linux', architecture: 's390x' } }));
    expect(isNotFound(err)).toBe(true);
    expect(err.details).toMatchObject({ ref: multi, platform: 'linux/s390x' });
  });

  it('honours an aborted signal', async () => {
    const ac = new AbortController();
    ac.abort();
    expect(isCancelled(await rejection(client.getManifest(ref, { signal: ac.signal })))).toBe(true);
  });

  it('raises Unavailable naming the reference when nothing listens', async () => {
    const port = await freePort();
    const dead = `127.0.0.1:${port}/tscr-test/x:1`;
    const err = await rejection(createDistributionClient({ retry: { retries: 0 } }).getManifest(dead));
    expect(isUnavailable(err)).toBe(true);
    expect(err.details.ref).toBe(parseReference(dead).normalized);
  });
});
