import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Server } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isNotFound } from '@tscr/api';
import { listen } from '@tscr/api/grpc';
import { parseReference, type Progress } from '@tscr/registry-client';
import { createRegistryClient } from '@tscr/registry-client/local';
import { GrpcRegistryClient, addRegistryService } from '@tscr/registry-client/grpc';
import { makeTempDir, rejection } from '@tscr/testkit';
import { OciLayout, buildImage } from '../fixtures/oci-layout.js';
import { skipUnlessRegistry, startRegistry, type RegistryFixture } from '../fixtures/registry.js';

const skip = skipUnlessRegistry();

async function drain(stream: AsyncIterable<Progress>): Promise<Progress[]> {
  const out: Progress[] = [];
  for await (const p of stream) out.push(p);
  return out;
}

describe.skipIf(skip)(`pull and push through the gRPC registry service ${skip ? `(skipped: ${skip})` : ''}`, () => {
  let registry: RegistryFixture;
  let dir: string;
  let server: Server;
  let client: GrpcRegistryClient;
  let store: OciLayout;

  beforeAll(async () => {
    registry = await startRegistry();
    dir = await makeTempDir('registry-grpc-pull');
    store = await new OciLayout(join(dir, 'store')).init();
    server = new Server();
    addRegistryService(server, createRegistryClient({ store, platform: { os: 'linux', architecture: 'amd64' } }));
    client = new GrpcRegistryClient(await listen(server, `unix://${join(dir, 'x.sock')}`));
  });
  afterAll(async () => {
    client?.close();
    server?.forceShutdown();
    await registry?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('pushes and pulls with progress crossing the wire', async () => {
    const ref = `${registry.host}/tscr-test/wire:v1`;
    const image = await buildImage(store, parseReference(ref), [Buffer.from('layer over grpc')]);
    const pushed = await drain(client.push(ref, { signal: AbortSignal.timeout(20_000) }));
    expect(pushed.at(-1)?.status).toContain(image.manifest.digest);
    // Pull the same image under another name into the same store: every blob is there already.
    const pulled = await drain(client.pull(ref, { signal: AbortSignal.timeout(20_000) }));
    expect(pulled.filter((p) => p.status === 'Already exists')).toHaveLength(image.layers.length);
    expect(JSON.parse(await readFile(store.blobPath(image.manifest.digest), 'utf8'))).toMatchObject({
      schemaVersion: 2,
    });
  });

  it('keeps NotFound across gRPC for a missing image', async () => {
    const err = await rejection(
      drain(client.pull(`${registry.host}/tscr-test/missing:v1`, { signal: AbortSignal.timeout(20_000) })),
    );
    expect(isNotFound(err)).toBe(true);
  });
});
