/**
 * The authorization middleware with fake backends and a fake authorizer: what
 * the authorizer is shown (URI, canonical headers without credentials, the JSON
 * body), that a refused request never reaches its handler, that a refused answer
 * is replaced, and that the handler still reads a body the middleware read first.
 */
import { rm } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type ContainerSummary, permissionDenied } from '@tscr/api';
import { makeTempDir } from '@tscr/testkit';
import {
  type Authorizer,
  type AuthzRequest,
  type AuthzResponse,
  type DockerApiBackends,
  type DockerApiServer,
  authzHeaders,
  createDockerApiServer,
  sendsBody,
} from '../../src/index.js';

function call(
  socketPath: string,
  method: string,
  path: string,
  body?: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, method, path, headers }, (res) => {
      let text = '';
      res.on('data', (b: Buffer) => {
        text += b.toString();
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const created: unknown[] = [];
const seen: { req: AuthzRequest; res?: AuthzResponse }[] = [];
let refuse: (req: AuthzRequest, res?: AuthzResponse) => string | undefined = () => undefined;

const authorizer: Authorizer = {
  async authorizeRequest(req) {
    seen.push({ req });
    const why = refuse(req);
    if (why) throw permissionDenied(`authorization denied by plugin fake: ${why}`);
  },
  async authorizeResponse(req, res) {
    seen.push({ req, res });
    const why = refuse(req, res);
    if (why) throw permissionDenied(`authorization denied by plugin fake: ${why}`);
  },
};

function fakeBackends(): DockerApiBackends {
  const summary: ContainerSummary = {
    id: 'c'.repeat(64),
    names: ['/web'],
    image: 'busybox',
    imageId: 'sha256:1',
    command: 'sh',
    created: '2026-01-01T00:00:00Z',
    state: 'running',
    status: 'Up',
  } as ContainerSummary;
  return {
    containers: {
      async create(req: unknown) {
        created.push(req);
        return { id: 'a'.repeat(64), warnings: [] };
      },
      async list() {
        return [summary];
      },
      async inspect() {
        throw new Error('not reached');
      },
    },
    images: {},
    registry: {},
    volumes: {},
    networks: {},
    system: {
      async *events(opts: { onSubscribed?: () => void }) {
        opts.onSubscribed?.();
        const t = BigInt(Date.now()) * 1_000_000n;
        yield { type: 'container', action: 'start', id: 'c1', attributes: { name: 'web' }, timeNano: String(t) };
      },
    },
  } as unknown as DockerApiBackends;
}

describe('Docker API authorization (fake authorizer)', () => {
  let server: DockerApiServer;
  let sock = '';
  let dir = '';

  beforeAll(async () => {
    dir = await makeTempDir('docker-api-authz');
    sock = join(dir, 'docker.sock');
    server = await createDockerApiServer(fakeBackends(), `unix://${sock}`, { authorizer });
  });
  afterAll(async () => {
    await server?.close();
    await rm(dir, { recursive: true, force: true });
  });
  beforeEach(() => {
    seen.length = 0;
    created.length = 0;
    refuse = () => undefined;
  });

  it('shows the request with its JSON body, and the handler still gets the body', async () => {
    const body = JSON.stringify({ Image: 'busybox', HostConfig: { Privileged: false } });
    const r = await call(sock, 'POST', '/v1.47/containers/create?name=web', body, {
      'Content-Type': 'application/json',
      'X-Registry-Auth': 'c2VjcmV0',
      'User-Agent': 'Docker-Client/28',
    });
    expect(r.status).toBe(201);
    expect(created).toHaveLength(1);
    const [first, second] = seen;
    expect(first?.req.requestMethod).toBe('POST');
    expect(first?.req.requestUri).toBe('/v1.47/containers/create?name=web');
    expect(Buffer.from(first?.req.requestBody ?? []).toString()).toBe(body);
    expect(first?.req.requestHeaders['User-Agent']).toBe('Docker-Client/28');
    expect(first?.req.requestHeaders['X-Registry-Auth']).toBeUndefined();
    expect(first?.req.user).toBe('');
    // The buffered answer is shown too, with its status and JSON body.
    expect(second?.res?.statusCode).toBe(201);
    expect(JSON.parse(Buffer.from(second?.res?.body ?? []).toString()).Id).toBe('a'.repeat(64));
  });

  it('a refused request never reaches its handler; the client gets 403 and the message', async () => {
    refuse = (req) =>
      req.requestBody && JSON.parse(Buffer.from(req.requestBody).toString()).HostConfig?.Privileged
        ? 'privileged containers are not allowed'
        : undefined;
    const r = await call(
      sock,
      'POST',
      '/v1.47/containers/create',
      JSON.stringify({ Image: 'busybox', HostConfig: { Privileged: true } }),
      { 'Content-Type': 'application/json' },
    );
    expect(r.status).toBe(403);
    expect(JSON.parse(r.body).message).toBe(
      'authorization denied by plugin fake: privileged containers are not allowed',
    );
    expect(created).toHaveLength(0);
    expect(seen).toHaveLength(1);
  });

  it('a refused answer is replaced by the refusal', async () => {
    refuse = (_req, res) => (res?.body ? 'you may not list' : undefined);
    const r = await call(sock, 'GET', '/v1.47/containers/json');
    expect(r.status).toBe(403);
    expect(r.body).not.toContain('web');
    expect(JSON.parse(r.body).message).toBe('authorization denied by plugin fake: you may not list');
  });

  it('a streamed answer goes out as it comes, checked only at the request (as dockerd)', async () => {
    refuse = (_req, res) => (res ? 'streams are never shown' : undefined);
    const r = await call(sock, 'GET', `/v1.47/events?until=${Math.floor(Date.now() / 1000) + 1}`);
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body.split('\n')[0] ?? '').Action).toBe('start');
    expect(seen.map((s) => Boolean(s.res))).toEqual([false]);
  });

  it('asks about _ping too, as dockerd does', async () => {
    refuse = (req) => (req.requestUri === '/_ping' ? 'no ping' : undefined);
    const r = await call(sock, 'GET', '/_ping');
    expect(r.status).toBe(403);
    expect(JSON.parse(r.body).message).toContain('no ping');
  });

  it('shows bodies only for JSON, never for /auth; leaves credentials out of the headers', () => {
    expect(sendsBody('/v1.47/containers/create', 'application/json; charset=utf-8')).toBe(true);
    expect(sendsBody('/v1.47/build', 'application/x-tar')).toBe(false);
    expect(sendsBody('/v1.47/auth', 'application/json')).toBe(false);
    expect(sendsBody('/auth?x=1', 'application/json')).toBe(false);
    expect(sendsBody('/v1.24/auth/optional', 'application/json')).toBe(false);
    expect(sendsBody('/v1.47/containers/auth/json', 'application/json')).toBe(true);
    expect(
      authzHeaders({ 'content-type': 'application/json', authorization: 'Basic x', 'x-registry-config': 'e30=' }),
    ).toEqual({ 'Content-Type': 'application/json' });
  });
});
