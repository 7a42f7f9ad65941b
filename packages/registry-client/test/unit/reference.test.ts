import { describe, expect, it } from 'vitest';
import { isInvalidArgument } from '@tscr/api';
import { parseReference } from '@tscr/registry-client';

describe('parseReference', () => {
  it.each([
    ['alpine', 'docker.io/library/alpine:latest', 'alpine:latest'],
    ['alpine:3.19', 'docker.io/library/alpine:3.19', 'alpine:3.19'],
    ['library/alpine', 'docker.io/library/alpine:latest', 'alpine:latest'],
    ['user/app:v1', 'docker.io/user/app:v1', 'user/app:v1'],
    ['index.docker.io/library/busybox', 'docker.io/library/busybox:latest', 'busybox:latest'],
    ['localhost:5000/x', 'localhost:5000/x:latest', 'localhost:5000/x:latest'],
    ['localhost/x:1', 'localhost/x:1', 'localhost/x:1'],
    ['quay.io/org/sub/app:tag', 'quay.io/org/sub/app:tag', 'quay.io/org/sub/app:tag'],
    ['[::1]:5000/img', '[::1]:5000/img:latest', '[::1]:5000/img:latest'],
    ['busybox:test', 'docker.io/library/busybox:test', 'busybox:test'],
  ])('%s → %s', (input, normalized, familiar) => {
    const r = parseReference(input);
    expect(r.normalized).toBe(normalized);
    expect(r.familiar).toBe(familiar);
  });

  it('keeps digests, with and without a tag', () => {
    const d = `sha256:${'a'.repeat(64)}`;
    const pinned = parseReference(`alpine@${d}`);
    expect(pinned.tag).toBeUndefined();
    expect(pinned).toMatchObject({ digest: d, normalized: `docker.io/library/alpine@${d}` });
    expect(parseReference(`alpine:3@${d}`)).toMatchObject({ tag: '3', digest: d });
  });

  it.each(['', 'UPPER', 'a//b', 'a:b:c', ':tag', 'x@sha256:abc', 'bad_-name', `x:${'t'.repeat(129)}`, 'a/b@md5'])(
    'rejects %j with InvalidArgument',
    (input) => {
      let err: unknown;
      try {
        parseReference(input);
      } catch (e) {
        err = e;
      }
      expect(isInvalidArgument(err)).toBe(true);
    },
  );
});
