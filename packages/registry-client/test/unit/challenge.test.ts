import { describe, expect, it } from 'vitest';
import { errorCode } from '@tscr/api';
import { chooseChallenge, parseChallenges } from '@tscr/registry-client';

describe('WWW-Authenticate parsing', () => {
  it('parses a bearer challenge with quoted parameters', () => {
    expect(
      parseChallenges(
        'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/alpine:pull"',
      ),
    ).toEqual([
      {
        scheme: 'bearer',
        params: {
          realm: 'https://auth.docker.io/token',
          service: 'registry.docker.io',
          scope: 'repository:library/alpine:pull',
        },
      },
    ]);
  });

  it('parses several challenges, tokens, escapes and odd spacing', () => {
    const got = parseChallenges('Basic realm="a \\"quoted\\" realm" , Bearer realm=http://x/token, service = reg');
    expect(got).toEqual([
      { scheme: 'basic', params: { realm: 'a "quoted" realm' } },
      { scheme: 'bearer', params: { realm: 'http://x/token', service: 'reg' } },
    ]);
  });

  it('keeps commas inside quoted scopes', () => {
    const [c] = parseChallenges('Bearer realm="http://t/",scope="repository:a:pull,push"');
    expect(c?.params.scope).toBe('repository:a:pull,push');
  });

  it('prefers bearer over basic and validates the realm', () => {
    expect(chooseChallenge('Basic realm="x", Bearer realm="https://t/token",service="s"')).toEqual({
      scheme: 'bearer',
      bearer: { realm: 'https://t/token', service: 's' },
    });
    expect(chooseChallenge('Basic realm="x"')).toEqual({ scheme: 'basic' });
    expect(chooseChallenge('Negotiate abc')).toBeUndefined();
  });

  it('raises Unauthenticated for malformed headers, naming the header', () => {
    for (const bad of ['', 'Bearer realm="unterminated', '=x', 'realm="x"', 'Bearer realm="a" junk']) {
      let err: unknown;
      try {
        parseChallenges(bad, 'reg:5000');
      } catch (e) {
        err = e;
      }
      expect(errorCode(err), bad).toBe('Unauthenticated');
      expect((err as { details: Record<string, string> }).details).toMatchObject({ header: bad, registry: 'reg:5000' });
    }
    for (const bad of ['Bearer service="x"', 'Bearer realm="not a url"', 'Bearer realm="ftp://x/"']) {
      expect(() => chooseChallenge(bad)).toThrow(/malformed WWW-Authenticate/);
    }
  });
});
