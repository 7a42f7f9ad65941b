import { describe, expect, it } from 'vitest';
import { errorCode } from '@tscr/api';
import { memoryCredentials } from '@tscr/registry-client';
import { Authorizer, type HttpRequest, type HttpTransport } from '@tscr/registry-client/local';
import { rejection } from '@tscr/testkit';

/** A token endpoint in memory: counts requests and hands out numbered tokens. */
function tokenEndpoint(status = 200, expiresIn = 60) {
  const seen: HttpRequest[] = [];
  const transport: HttpTransport = {
    async send(req) {
      seen.push(req);
      const body = JSON.stringify({ token: `t${seen.length}`, expires_in: expiresIn });
      return {
        status,
        url: req.url,
        header: () => undefined,
        body: (async function* () {
          yield Buffer.from(body);
        })(),
        discard: () => {},
      };
    },
  };
  return { seen, transport };
}

const CHALLENGE = 'Bearer realm="https://auth.example/token",service="reg"';

describe('Authorizer', () => {
  it('sends nothing before the registry challenges', async () => {
    const { transport } = tokenEndpoint();
    expect(await new Authorizer({ transport }).header('reg', ['repository:a:pull'])).toBeUndefined();
  });

  it('fetches a bearer token per scope, caches it, and renews it when it expires', async () => {
    let now = 1_000_000;
    const { seen, transport } = tokenEndpoint(200, 60);
    const credentials = memoryCredentials({ reg: { username: 'u', password: 'p' } });
    const auth = new Authorizer({ transport, credentials, now: () => now });
    expect(auth.challenged('reg', CHALLENGE, ['repository:a:pull'], undefined)).toBe(true);
    expect(await auth.header('reg', ['repository:a:pull'])).toBe('Bearer t1');
    expect(await auth.header('reg', ['repository:a:pull'])).toBe('Bearer t1');
    const url = new URL(seen[0]!.url);
    expect(url.searchParams.get('service')).toBe('reg');
    expect(url.searchParams.getAll('scope')).toEqual(['repository:a:pull']);
    expect(seen[0]!.headers?.authorization).toBe(`Basic ${Buffer.from('u:p').toString('base64')}`);
    // Another scope, another token.
    expect(await auth.header('reg', ['repository:b:pull', 'repository:a:pull,push'])).toBe('Bearer t2');
    expect(new URL(seen[1]!.url).searchParams.getAll('scope')).toEqual(['repository:b:pull', 'repository:a:pull,push']);
    // Close to expiry: renewed.
    now += 56_000;
    expect(await auth.header('reg', ['repository:a:pull'])).toBe('Bearer t3');
    expect(seen).toHaveLength(3);
  });

  it('drops a refused token and retries once, then gives up', async () => {
    const { transport } = tokenEndpoint();
    const auth = new Authorizer({ transport });
    auth.challenged('reg', CHALLENGE, ['s'], undefined);
    const sent = await auth.header('reg', ['s']);
    expect(auth.challenged('reg', CHALLENGE, ['s'], sent)).toBe(true);
    expect(await auth.header('reg', ['s'])).toBe('Bearer t2');
  });

  it('answers basic challenges with the stored credentials', async () => {
    const { transport, seen } = tokenEndpoint();
    const auth = new Authorizer({
      transport,
      credentials: memoryCredentials({ reg: { username: 'a', password: 'b' } }),
    });
    expect(auth.challenged('reg', 'Basic realm="x"', [], undefined)).toBe(true);
    expect(await auth.header('reg', [])).toBe(`Basic ${Buffer.from('a:b').toString('base64')}`);
    expect(auth.challenged('reg', 'Basic realm="x"', [], 'Basic x')).toBe(false);
    expect(seen).toHaveLength(0);
  });

  it('trades an identity token for access tokens with a refresh-token grant, never sending a password', async () => {
    const { transport, seen } = tokenEndpoint();
    const credentials = memoryCredentials({ reg: { username: 'u', password: '', identityToken: 'refresh-me' } });
    const auth = new Authorizer({ transport, credentials });
    auth.challenged('reg', CHALLENGE, ['repository:a:pull', 'repository:b:pull'], undefined);
    expect(await auth.header('reg', ['repository:a:pull', 'repository:b:pull'])).toBe('Bearer t1');
    const req = seen[0]!;
    expect([req.method, req.url, req.headers?.['content-type'], req.headers?.authorization]).toEqual([
      'POST',
      'https://auth.example/token',
      'application/x-www-form-urlencoded',
      undefined,
    ]);
    const form = new URLSearchParams(Buffer.from(req.body as Uint8Array).toString());
    expect(Object.fromEntries(form)).toEqual({
      grant_type: 'refresh_token',
      refresh_token: 'refresh-me',
      service: 'reg',
      scope: 'repository:a:pull repository:b:pull',
      client_id: 'tscr',
    });
    // Basic auth cannot carry an identity token: the request goes anonymous.
    auth.challenged('reg', 'Basic realm="x"', [], undefined);
    expect(await auth.header('reg', [])).toBeUndefined();
  });

  it('raises Unauthenticated when the token endpoint refuses', async () => {
    const { transport } = tokenEndpoint(401);
    const auth = new Authorizer({ transport });
    auth.challenged('reg', CHALLENGE, ['s'], undefined);
    const err = await rejection(auth.header('reg', ['s']));
    expect(errorCode(err)).toBe('Unauthenticated');
    expect(err.details.registry).toBe('reg');
  });
});

describe('Authorizer under concurrency', () => {
  it('shares one token request among concurrent callers of a scope', async () => {
    const { seen, transport } = tokenEndpoint();
    const auth = new Authorizer({ transport });
    auth.challenged('reg', CHALLENGE, ['s'], undefined);
    const headers = await Promise.all([
      auth.header('reg', ['s']),
      auth.header('reg', ['s']),
      auth.header('reg', ['s']),
    ]);
    expect(headers).toEqual(['Bearer t1', 'Bearer t1', 'Bearer t1']);
    expect(seen).toHaveLength(1);
  });
});
