import { createHash, randomBytes } from 'node:crypto';
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorCode } from '@tscr/api';
import { createDistributionClient, pullImage, type DistributionClient } from '@tscr/registry-client/local';
import { makeTempDir, rejection } from '@tscr/testkit';
import { OciLayout } from '../fixtures/oci-layout.js';
import { startLyingRegistry, type LyingRegistry } from '../fixtures/lying-registry.js';

async function collect(stream: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const c of stream) parts.push(c);
  return Buffer.concat(parts);
}

async function drain(stream: AsyncIterable<unknown>): Promise<void> {
  for await (const _ of stream) void _;
}

describe('a registry that misbehaves', () => {
  let liar: LyingRegistry;
  let client: DistributionClient;
  let dir: string;
  beforeAll(async () => {
    liar = await startLyingRegistry();
    client = createDistributionClient({ retry: { baseDelayMs: 1 } });
    dir = await makeTempDir('registry-liar');
  });
  afterAll(async () => {
    await liar?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const blob = (repo: string) => client.getBlob(`${liar.host}/${repo}`, liar.layer);

  it('serves the control repository correctly', async () => {
    expect((await collect(blob('good'))).equals(liar.layer.bytes)).toBe(true);
  });

  it('raises DataLoss naming the digest when a blob does not match it', async () => {
    const err = await rejection(collect(blob('wrong')));
    expect(errorCode(err)).toBe('DataLoss');
    expect(err.details.digest).toBe(liar.layer.digest);
    expect(err.details.actual).toMatch(/^sha256:[a-f0-9]{64}$/);
    expect(err.details.ref).toBe(`${liar.host}/wrong@${liar.layer.digest}`);
  });

  it('raises DataLoss for a truncated blob and for one longer than declared', async () => {
    const cut = await rejection(collect(blob('truncated')));
    expect(errorCode(cut)).toBe('DataLoss');
    expect(cut.details.digest).toBe(liar.layer.digest);
    const long = await rejection(collect(blob('long')));
    expect(errorCode(long)).toBe('DataLoss');
  });

  it('discards the partial data of a pull whose layer lies', async () => {
    const sink = await new OciLayout(join(dir, 'sink')).init();
    const err = await rejection(drain(pullImage(client, `${liar.host}/wrong:v1`, sink)));
    expect(errorCode(err)).toBe('DataLoss');
    expect(err.details.digest).toBe(liar.layer.digest);
    expect(await sink.hasBlob(liar.layer.digest)).toBe(false);
    expect((await readdir(join(dir, 'sink', 'blobs'))).filter((f) => f.startsWith('.tmp'))).toEqual([]);
    expect((await sink.index()).manifests).toEqual([]);
  });

  it('raises ResourceExhausted for a manifest over 4 MiB, with or without Content-Length', async () => {
    for (const repo of ['big', 'bigchunked']) {
      const ref = `${liar.host}/${repo}:v1`;
      const err = await rejection(client.getManifest(ref));
      expect(errorCode(err)).toBe('ResourceExhausted');
      expect(err.details.ref).toContain(ref);
    }
  });

  it('raises DataLoss when the registry lies about a manifest digest', async () => {
    const ref = `${liar.host}/liar:v1`;
    const err = await rejection(client.getManifest(ref));
    expect(errorCode(err)).toBe('DataLoss');
    expect(err.details.ref).toBe(ref);
  });

  it('raises DataLoss when a manifest does not match the digest it was asked by', async () => {
    const d = `sha256:${createHash('sha256').update(randomBytes(4)).digest('hex')}`;
    const err = await rejection(client.getManifest(`${liar.host}/good@${d}`));
    expect(errorCode(err)).toBe('DataLoss');
    expect(err.details.digest).toBe(d);
  });

  it('raises NotFound when an index has no manifest for the platform', async () => {
    const ref = `${liar.host}/windows:v1`;
    const err = await rejection(client.resolve(ref, { platform: { os: 'linux', architecture: 'amd64' } }));
    expect(errorCode(err)).toBe('NotFound');
    expect(err.details).toMatchObject({ ref, platform: 'linux/amd64' });
  });

  it('raises Unauthenticated for a malformed WWW-Authenticate header', async () => {
    for (const repo of ['badauth', 'norealm']) {
      const ref = `${liar.host}/${repo}:v1`;
      const err = await rejection(client.getManifest(ref));
      expect(errorCode(err)).toBe('Unauthenticated');
      expect(err.message).toContain('WWW-Authenticate');
      expect(err.details.ref).toBe(ref);
    }
  });

  it('raises Unauthenticated for a 401 without credentials', async () => {
    const ref = `${liar.host}/private:v1`;
    const err = await rejection(client.getManifest(ref));
    expect(errorCode(err)).toBe('Unauthenticated');
    expect(err.details.ref).toBe(ref);
  });

  it('rejects an invalid reference before any request', async () => {
    const before = liar.log.length;
    expect(errorCode(await rejection(client.getManifest(`${liar.host}/Bad:v1`)))).toBe('InvalidArgument');
    expect(errorCode(await rejection(drain(pullImage(client, 'a:b:c', new OciLayout(dir)))))).toBe('InvalidArgument');
    expect(liar.log.length).toBe(before);
  });

  it('retries a 503 with backoff', async () => {
    expect((await collect(blob('flaky'))).equals(liar.layer.bytes)).toBe(true);
    expect(liar.log.filter((l) => l.startsWith('GET /v2/flaky/blobs/')).length).toBe(2);
  });

  it('resumes a chunked upload from the Range the registry reports', async () => {
    const data = randomBytes(10_000);
    const desc = { digest: `sha256:${createHash('sha256').update(data).digest('hex')}`, size: data.length };
    const start = liar.log.length;
    const result = await client.pushBlob(`${liar.host}/resume`, desc, data, { chunkSize: 3000 });
    expect(result.status).toBe('uploaded');
    const calls = liar.log.slice(start).map((l) => l.split(' ')[0]);
    // HEAD, POST, PATCH ×2 (the 2nd's answer is lost), PATCH again (416), GET status, PATCH ×2, PUT.
    expect(calls).toEqual(['HEAD', 'POST', 'PATCH', 'PATCH', 'PATCH', 'GET', 'PATCH', 'PATCH', 'PUT']);
  });
});
