import { randomBytes, createHash } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorCode } from '@tscr/api';
import { DockerConfigStore, memoryCredentials } from '@tscr/registry-client';
import { createDistributionClient, login } from '@tscr/registry-client/local';
import { makeTempDir, rejection } from '@tscr/testkit';
import { skipUnlessRegistry, startRegistry, type RegistryFixture } from '../fixtures/registry.js';
import { startTokenServer, type TokenServer } from '../fixtures/token-server.js';

const skip = skipUnlessRegistry();
const sha = (b: Uint8Array) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const USERS = { tscr: 'correct horse' };

async function collect(stream: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const c of stream) parts.push(c);
  return Buffer.concat(parts);
}

describe.skipIf(skip)(`basic auth (htpasswd) ${skip ? `(skipped: ${skip})` : ''}`, () => {
  let registry: RegistryFixture;
  let dir: string;
  beforeAll(async () => {
    registry = await startRegistry({ kind: 'htpasswd', users: USERS });
    dir = await makeTempDir('registry-auth');
  });
  afterAll(async () => {
    await registry?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('raises Unauthenticated naming the reference without credentials', async () => {
    const ref = `${registry.host}/tscr-test/app:v1`;
    const err = await rejection(createDistributionClient().getManifest(ref));
    expect(errorCode(err)).toBe('Unauthenticated');
    expect(err.details.ref).toBe(ref);
    expect(errorCode(await rejection(createDistributionClient().ping(registry.host)))).toBe('Unauthenticated');
  });

  it('refuses a wrong password at login and stores nothing', async () => {
    const store = new DockerConfigStore(join(dir, 'wrong', 'config.json'));
    const err = await rejection(login(registry.host, { username: 'tscr', password: 'nope' }, store));
    expect(errorCode(err)).toBe('Unauthenticated');
    expect(await store.get(registry.host)).toBeUndefined();
  });

  it('logs in like docker login and then pushes and pulls with the stored credentials', async () => {
    const path = join(dir, 'docker', 'config.json');
    const store = new DockerConfigStore(path);
    await login(registry.host, { username: 'tscr', password: USERS.tscr }, store);
    const file = JSON.parse(await readFile(path, 'utf8')) as { auths: Record<string, { auth: string }> };
    expect(Buffer.from(file.auths[registry.host]!.auth, 'base64').toString()).toBe(`tscr:${USERS.tscr}`);

    const client = createDistributionClient({ credentials: store });
    const repo = `${registry.host}/tscr-test/app`;
    const data = randomBytes(4096);
    const desc = { digest: sha(data), size: data.length };
    expect((await client.pushBlob(repo, desc, data)).status).toBe('uploaded');
    expect((await collect(client.getBlob(repo, desc))).equals(data)).toBe(true);
  });
});

describe.skipIf(skip)(`token auth ${skip ? `(skipped: ${skip})` : ''}`, () => {
  let registry: RegistryFixture;
  let tokens: TokenServer;
  let dir: string;
  beforeAll(async () => {
    dir = await makeTempDir('registry-token');
    tokens = await startTokenServer(dir, USERS);
    registry = await startRegistry({
      kind: 'token',
      realm: tokens.realm,
      service: tokens.service,
      issuer: tokens.issuer,
      certPath: tokens.certPath,
    });
  });
  afterAll(async () => {
    await registry?.stop();
    await tokens?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('raises Unauthenticated when an anonymous token grants nothing', async () => {
    const ref = `${registry.host}/tscr-test/app:v1`;
    const err = await rejection(createDistributionClient().getManifest(ref));
    expect(errorCode(err)).toBe('Unauthenticated');
    expect(err.details.ref).toBe(ref);
  });

  it('raises Unauthenticated when the token server refuses the password', async () => {
    const client = createDistributionClient({
      credentials: memoryCredentials({ [registry.host]: { username: 'tscr', password: 'x' } }),
    });
    const err = await rejection(client.headBlob(`${registry.host}/tscr-test/app`, sha(Buffer.from('x'))));
    expect(errorCode(err)).toBe('Unauthenticated');
  });

  it('follows the bearer flow, caching one token per scope', async () => {
    const client = createDistributionClient({
      credentials: memoryCredentials({ [registry.host]: { username: 'tscr', password: USERS.tscr } }),
    });
    const repo = `${registry.host}/tscr-test/tokened`;
    const data = randomBytes(2048);
    const desc = { digest: sha(data), size: data.length };
    const before = tokens.requests.length;
    expect((await client.pushBlob(repo, desc, data)).status).toBe('uploaded');
    const pushTokens = tokens.requests.length - before;
    expect(pushTokens).toBe(1);
    expect(tokens.requests.at(-1)).toEqual({ scopes: ['repository:tscr-test/tokened:pull,push'], account: 'tscr' });
    expect((await collect(client.getBlob(repo, desc))).equals(data)).toBe(true);
    expect(await client.headBlob(repo, desc.digest)).toEqual({ digest: desc.digest, size: desc.size });
    // One more token for the pull scope, reused by the HEAD.
    expect(tokens.requests.length - before).toBe(2);
    expect(await client.catalog(registry.host)).toContain('tscr-test/tokened');
    expect(tokens.requests.at(-1)?.scopes).toEqual(['registry:catalog:*']);
  });

  it('renews a token when it expires', async () => {
    const client = createDistributionClient({
      credentials: memoryCredentials({ [registry.host]: { username: 'tscr', password: USERS.tscr } }),
    });
    const repo = `${registry.host}/tscr-test/expiring`;
    const digest = sha(Buffer.from('absent'));
    // Tokens are renewed 5 s before they expire: a 7 s token is used for 1–2 s.
    tokens.expiresIn = 7;
    try {
      await client.headBlob(repo, digest);
      const fetched = tokens.requests.length;
      await client.headBlob(repo, digest);
      expect(tokens.requests.length).toBe(fetched);
      await new Promise((r) => setTimeout(r, 2100));
      await client.headBlob(repo, digest);
      expect(tokens.requests.length).toBe(fetched + 1);
    } finally {
      tokens.expiresIn = 300;
    }
  });

  it('logs in through the token server', async () => {
    const store = memoryCredentials();
    await login(registry.host, { username: 'tscr', password: USERS.tscr }, store);
    expect(await store.get(registry.host)).toEqual({ username: 'tscr', password: USERS.tscr });
    expect(
      errorCode(await rejection(login(registry.host, { username: 'tscr', password: 'no' }, memoryCredentials()))),
    ).toBe('Unauthenticated');
  });
});
