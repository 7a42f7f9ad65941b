import { describe, expect, it } from 'vitest';
import { errorCode } from '@tscr/api';
import { MediaTypes, parseManifest } from '@tscr/registry-client';

const d = `sha256:${'a'.repeat(64)}`;
const enc = (v: unknown) => Buffer.from(JSON.stringify(v));
const desc = { mediaType: MediaTypes.ociConfig, digest: d, size: 10 };

describe('parseManifest', () => {
  it('reads OCI and Docker manifests and indexes', () => {
    const m = parseManifest(
      enc({ schemaVersion: 2, mediaType: MediaTypes.dockerManifest, config: desc, layers: [desc] }),
      'r',
    );
    expect(m.kind).toBe('manifest');
    expect(m.mediaType).toBe(MediaTypes.dockerManifest);
    const i = parseManifest(
      enc({ schemaVersion: 2, mediaType: MediaTypes.dockerManifestList, manifests: [desc] }),
      'r',
    );
    expect(i.kind).toBe('index');
  });

  it('takes the media type from the header, else from the shape', () => {
    const body = enc({ schemaVersion: 2, manifests: [] });
    expect(parseManifest(body, 'r', `${MediaTypes.dockerManifestList}; charset=utf-8`).mediaType).toBe(
      MediaTypes.dockerManifestList,
    );
    expect(parseManifest(body, 'r').mediaType).toBe(MediaTypes.ociIndex);
    expect(parseManifest(enc({ schemaVersion: 2, config: desc, layers: [] }), 'r').mediaType).toBe(
      MediaTypes.ociManifest,
    );
  });

  it('raises InvalidArgument for anything else', () => {
    const bad = [
      Buffer.from('not json'),
      enc({ schemaVersion: 1, name: 'x' }),
      enc({ schemaVersion: 2, mediaType: 'application/x-other' }),
      enc({ schemaVersion: 2, mediaType: MediaTypes.ociManifest, config: { ...desc, digest: 'nope' }, layers: [] }),
      enc({ schemaVersion: 2, mediaType: MediaTypes.ociManifest, config: desc, layers: [{ ...desc, size: -1 }] }),
      enc({ schemaVersion: 2, mediaType: MediaTypes.ociIndex }),
    ];
    for (const b of bad) {
      let err: unknown;
      try {
        parseManifest(b, 'reg/app:v1');
      } catch (e) {
        err = e;
      }
      expect(errorCode(err), b.toString()).toBe('InvalidArgument');
    }
  });
});
