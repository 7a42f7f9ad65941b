import { describe, expect, it } from 'vitest';
import { errorCode } from '@tscr/api';
import { MediaTypes, hostPlatform, parsePlatform, selectPlatform, type ImageIndex } from '@tscr/registry-client';

const d = (n: number) => `sha256:${String(n).repeat(64)}`;
const index: ImageIndex = {
  schemaVersion: 2,
  mediaType: MediaTypes.dockerManifestList,
  manifests: [
    { mediaType: MediaTypes.dockerManifest, digest: d(1), size: 1, platform: { os: 'linux', architecture: 'amd64' } },
    {
      mediaType: MediaTypes.dockerManifest,
      digest: d(2),
      size: 1,
      platform: { os: 'linux', architecture: 'arm', variant: 'v6' },
    },
    {
      mediaType: MediaTypes.dockerManifest,
      digest: d(3),
      size: 1,
      platform: { os: 'linux', architecture: 'arm', variant: 'v7' },
    },
    { mediaType: MediaTypes.dockerManifest, digest: d(4), size: 1, platform: { os: 'linux', architecture: 'arm64' } },
    { mediaType: MediaTypes.dockerManifest, digest: d(5), size: 1, platform: { os: 'windows', architecture: 'amd64' } },
  ],
};

describe('platform selection', () => {
  it('maps the host to OCI names', () => {
    const p = hostPlatform();
    expect(p.os).toBe('linux');
    const expected: Record<string, string> = { x64: 'amd64', arm64: 'arm64', ia32: '386' };
    expect(p.architecture).toBe(expected[process.arch] ?? p.architecture);
  });

  it('picks by os, architecture and variant', () => {
    expect(selectPlatform(index, 'r', { os: 'linux', architecture: 'amd64' }).digest).toBe(d(1));
    expect(selectPlatform(index, 'r', { os: 'windows', architecture: 'amd64' }).digest).toBe(d(5));
    expect(selectPlatform(index, 'r', { os: 'linux', architecture: 'arm', variant: 'v7' }).digest).toBe(d(3));
    expect(selectPlatform(index, 'r', { os: 'linux', architecture: 'arm' }).digest).toBe(d(2));
    // arm64 without a variant is v8.
    expect(selectPlatform(index, 'r', { os: 'linux', architecture: 'arm64', variant: 'v8' }).digest).toBe(d(4));
  });

  it('defaults to the host platform', () => {
    const host = hostPlatform();
    if (host.architecture === 'amd64') expect(selectPlatform(index, 'r').digest).toBe(d(1));
  });

  it('raises NotFound naming the reference and platform when nothing matches', () => {
    let err: unknown;
    try {
      selectPlatform(index, 'localhost:5000/app:v1', { os: 'linux', architecture: 's390x' });
    } catch (e) {
      err = e;
    }
    expect(errorCode(err)).toBe('NotFound');
    expect((err as { details: object }).details).toEqual({ ref: 'localhost:5000/app:v1', platform: 'linux/s390x' });
    expect((err as Error).message).toContain('linux/arm/v7');
  });

  it('parses platform strings', () => {
    expect(parsePlatform('linux/arm/v7')).toEqual({ os: 'linux', architecture: 'arm', variant: 'v7' });
    expect(parsePlatform('')).toBeUndefined();
  });
});
