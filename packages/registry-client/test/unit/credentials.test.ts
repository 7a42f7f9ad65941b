import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorCode } from '@tscr/api';
import { DOCKER_HUB_AUTH_KEY, DockerConfigStore } from '@tscr/registry-client';
import { makeTempDir, rejection } from '@tscr/testkit';

describe('DockerConfigStore', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await makeTempDir('docker-config');
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('returns nothing when the file does not exist', async () => {
    expect(await new DockerConfigStore(join(dir, 'none', 'config.json')).get('docker.io')).toBeUndefined();
  });

  it('reads docker login entries, including Docker Hub under its legacy key', async () => {
    const path = join(dir, 'read.json');
    const b64 = (s: string) => Buffer.from(s).toString('base64');
    await writeFile(
      path,
      JSON.stringify({
        auths: {
          [DOCKER_HUB_AUTH_KEY]: { auth: b64('hubuser:hub:pass') },
          'https://registry.example.com/v2/': { auth: b64('u:p') },
          'localhost:5000': { username: 'plain', password: 'text' },
        },
      }),
    );
    const store = new DockerConfigStore(path);
    expect(await store.get('docker.io')).toEqual({ username: 'hubuser', password: 'hub:pass' });
    expect(await store.get('registry.example.com')).toEqual({ username: 'u', password: 'p' });
    expect(await store.get('localhost:5000')).toEqual({ username: 'plain', password: 'text' });
    expect(await store.get('other.example.com')).toBeUndefined();
  });

  it('writes entries with base64 auth, keeps other settings, and is private to its owner', async () => {
    const sub = join(dir, 'write');
    await mkdir(sub);
    const path = join(sub, 'config.json');
    await writeFile(path, JSON.stringify({ auths: { 'a.example.com': { auth: 'eDp5' } }, psFormat: 'table' }));
    const store = new DockerConfigStore(path);
    await store.set('docker.io', { username: 'me', password: 's3cret' });
    await store.set('localhost:5000', { username: 'x', password: 'y' });
    const file = JSON.parse(await readFile(path, 'utf8')) as {
      auths: Record<string, { auth: string }>;
      psFormat: string;
    };
    expect(file.psFormat).toBe('table');
    expect(Object.keys(file.auths).sort()).toEqual(['a.example.com', DOCKER_HUB_AUTH_KEY, 'localhost:5000']);
    expect(Buffer.from(file.auths[DOCKER_HUB_AUTH_KEY]!.auth, 'base64').toString()).toBe('me:s3cret');
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(await store.get('docker.io')).toEqual({ username: 'me', password: 's3cret' });
    expect(await store.erase('localhost:5000')).toBe(true);
    expect(await store.erase('localhost:5000')).toBe(false);
    expect(await store.get('localhost:5000')).toBeUndefined();
  });

  it("reads and writes identity tokens (docker's `identitytoken`)", async () => {
    const path = join(dir, 'token.json');
    const b64 = (s: string) => Buffer.from(s).toString('base64');
    await writeFile(
      path,
      JSON.stringify({
        auths: {
          'reg.example': { auth: b64('someone:'), identitytoken: 'r1' },
          'only.example': { identitytoken: 'r2' },
        },
      }),
    );
    const store = new DockerConfigStore(path);
    expect(await store.get('reg.example')).toEqual({ username: 'someone', password: '', identityToken: 'r1' });
    expect(await store.get('only.example')).toEqual({ username: '', password: '', identityToken: 'r2' });
    await store.set('new.example', { username: 'me', password: '', identityToken: 'r3' });
    const saved = JSON.parse(await readFile(path, 'utf8')) as { auths: Record<string, unknown> };
    expect(saved.auths['new.example']).toEqual({ auth: b64('me:'), identitytoken: 'r3' });
  });

  it('raises InvalidArgument for a file that is not a Docker config', async () => {
    const path = join(dir, 'bad.json');
    await writeFile(path, '[not json');
    const err = await rejection(new DockerConfigStore(path).get('docker.io'));
    expect(errorCode(err)).toBe('InvalidArgument');
    expect(err.details.path).toBe(path);
  });
});
