/**
 * The HTTP front door with fake backends: versions, `_ping`, errors in
 * dockerd's shape, bounded and malformed bodies, options refused by name,
 * stdcopy framing, and the UNIX socket's mode.
 */
import { statSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ContainerInfo, notFound } from '@tscr/api';
import { makeTempDir, rejection } from '@tscr/testkit';
import {
  type DockerApiBackends,
  type DockerApiServer,
  createDockerApiServer,
  createRequest,
  frame,
  parseFrames,
  splitVersion,
} from '../../src/index.js';

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function call(socketPath: string, method: string, path: string, body?: string | Buffer): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, method, path, headers: { 'Content-Type': 'application/json' } }, (res) => {
      let text = '';
      res.on('data', (b: Buffer) => {
        text += b.toString();
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const created: unknown[] = [];

/** Fakes: only what these tests reach. */
function fakeBackends(): DockerApiBackends {
  const containers = {
    async create(req: unknown) {
      created.push(req);
      return { id: 'a'.repeat(64), warnings: [] };
    },
    async inspect(id: string): Promise<ContainerInfo> {
      throw notFound(`no such container: ${id}`, { details: { id } });
    },
  };
  return {
    containers,
    images: {},
    registry: {},
    volumes: {},
    networks: {},
    system: {},
  } as unknown as DockerApiBackends;
}

describe('Docker API server (fake backends)', () => {
  let server: DockerApiServer;
  let sock = '';
  let dir = '';

  beforeAll(async () => {
    dir = await makeTempDir('docker-api-unit');
    sock = join(dir, 'docker.sock');
    server = await createDockerApiServer(fakeBackends(), `unix://${sock}`, { maxJsonBody: 1024, bodyTimeoutMs: 300 });
  });

  afterAll(async () => {
    await server?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('listens on a socket only its owner may use', () => {
    expect(statSync(sock).mode & 0o777).toBe(0o600);
  });

  it('refuses TCP without mutual TLS', async () => {
    const err = await rejection(createDockerApiServer(fakeBackends(), 'tcp://127.0.0.1:0'));
    expect(err.code).toBe('InvalidArgument');
    expect(err.message).toContain('mutual TLS');
  });

  it('_ping answers with the version headers, GET and HEAD, versioned or not', async () => {
    for (const [method, path] of [
      ['GET', '/_ping'],
      ['HEAD', '/_ping'],
      ['GET', '/v1.41/_ping'],
    ] as const) {
      const r = await call(sock, method, path);
      expect(r.status).toBe(200);
      expect(r.headers['api-version']).toBe('1.51');
      expect(r.headers['builder-version']).toBe('1');
      expect(r.headers['docker-experimental']).toBe('false');
      expect(r.headers.ostype).toBe('linux');
      expect(r.body).toBe(method === 'HEAD' ? '' : 'OK');
    }
  });

  it('refuses versions out of range with dockerd’s messages', async () => {
    const old = await call(sock, 'GET', '/v1.12/info');
    expect(old.status).toBe(400);
    expect(JSON.parse(old.body).message).toBe(
      'client version 1.12 is too old. Minimum supported API version is 1.24, please upgrade your client to a newer version',
    );
    const fresh = await call(sock, 'GET', '/v1.99/info');
    expect(fresh.status).toBe(400);
    expect(JSON.parse(fresh.body).message).toBe(
      'client version 1.99 is too new. Maximum supported API version is 1.51',
    );
    expect(splitVersion('/v1.41/containers/json')).toEqual({ minor: 41, path: '/containers/json' });
    expect(splitVersion('/containers/json')).toEqual({ minor: 51, path: '/containers/json' });
  });

  it('unknown endpoints are 404 with a JSON message', async () => {
    const r = await call(sock, 'GET', '/v1.45/nothing/here');
    expect(r.status).toBe(404);
    expect(r.headers['content-type']).toBe('application/json');
    expect(JSON.parse(r.body)).toEqual({ message: 'page not found' });
  });

  it('a missing container is "No such container: x" with 404', async () => {
    const r = await call(sock, 'GET', '/containers/nope/json');
    expect(r.status).toBe(404);
    expect(JSON.parse(r.body)).toEqual({ message: 'No such container: nope' });
  });

  it('malformed JSON is 400; a body past the limit is 413', async () => {
    const bad = await call(sock, 'POST', '/containers/create', '{"Image": ');
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.body).message).toMatch(/^malformed JSON/);
    const huge = await call(sock, 'POST', '/containers/create', Buffer.alloc(4096, 0x20));
    expect(huge.status).toBe(413);
    expect(JSON.parse(huge.body).message).toContain('limit 1024 bytes');
  });

  it('a body past the limit sent in chunks is read off and refused with 413; one that stops coming gets 408', async () => {
    const chunked = await new Promise<number>((resolve, reject) => {
      const req = request({ socketPath: sock, method: 'POST', path: '/containers/create' }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      for (let i = 0; i < 8; i++) req.write(Buffer.alloc(512, 0x20));
      req.end();
    });
    expect(chunked).toBe(413);
    const stalled = await new Promise<Reply>((resolve, reject) => {
      const req = request(
        { socketPath: sock, method: 'POST', path: '/containers/create', headers: { 'Content-Length': 100 } },
        (res) => {
          let text = '';
          res.on('data', (b: Buffer) => {
            text += b.toString();
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
        },
      );
      req.on('error', reject);
      req.write('{"Image":');
    });
    expect(stalled.status).toBe(408);
    expect(stalled.headers.connection).toBe('close');
    expect(JSON.parse(stalled.body).message).toBe('request body not received within 300 ms');
  });

  it('options that would change behaviour are refused by name; neutral ones pass', async () => {
    const r = await call(
      sock,
      'POST',
      '/containers/create',
      JSON.stringify({ Image: 'x', HostConfig: { Links: ['a:b'] } }),
    );
    expect(r.status).toBe(400);
    expect(JSON.parse(r.body).message).toContain('HostConfig.Links');
    const ok = await call(
      sock,
      'POST',
      '/containers/create?name=web',
      JSON.stringify({
        Image: 'x',
        Cmd: ['true'],
        AttachStdout: true,
        HostConfig: { Links: null, IpcMode: 'private', RestartPolicy: { Name: 'no' }, LogConfig: { Type: '' } },
        NetworkingConfig: { EndpointsConfig: { default: { Aliases: null } } },
      }),
    );
    expect(ok.status).toBe(201);
    expect(JSON.parse(ok.body)).toEqual({ Id: 'a'.repeat(64), Warnings: [] });
    expect(created.at(-1)).toEqual({ name: 'web', config: { image: 'x', cmd: ['true'] } });
  });
});

describe('create request conversion', () => {
  it('maps Config, HostConfig and NetworkingConfig onto the domain', () => {
    const req = createRequest(
      {
        Image: 'busybox',
        Entrypoint: [],
        Env: ['A=1'],
        Tty: true,
        Volumes: { '/anon': {} },
        HostConfig: {
          Binds: ['v:/data:ro'],
          Tmpfs: { '/run': 'size=1m' },
          AutoRemove: true,
          NetworkMode: 'mynet',
          PortBindings: { '80/tcp': [{ HostIp: '', HostPort: '8080' }] },
          Memory: 1048576,
          CapAdd: ['NET_ADMIN'],
          RestartPolicy: { Name: 'on-failure', MaximumRetryCount: 2 },
        },
        NetworkingConfig: { EndpointsConfig: { mynet: { Aliases: ['web'] } } },
      },
      '/named',
    );
    expect(req).toEqual({
      name: 'named',
      config: { image: 'busybox', entrypoint: [], env: ['A=1'], tty: true },
      hostConfig: {
        binds: ['v:/data:ro'],
        mounts: [
          { type: 'tmpfs', source: '', target: '/run', options: ['size=1m'] },
          { type: 'volume', source: '', target: '/anon' },
        ],
        autoRemove: true,
        networkMode: 'mynet',
        portBindings: { '80/tcp': [{ hostIp: '', hostPort: '8080' }] },
        memory: 1048576,
        capAdd: ['NET_ADMIN'],
        restartPolicy: { name: 'on-failure', maximumRetryCount: 2 },
      },
      networkingConfig: { mynet: { aliases: ['web'] } },
    });
  });

  it('needs an image', () => {
    expect(() => createRequest({ Cmd: ['x'] }, undefined)).toThrow(/no image/);
  });
});

describe('stdcopy frames', () => {
  it('prefix each chunk with its stream and length', () => {
    const f = Buffer.concat([frame('stdout', Buffer.from('out')), frame('stderr', Buffer.from('err!'))]);
    expect([...f.subarray(0, 8)]).toEqual([1, 0, 0, 0, 0, 0, 0, 3]);
    expect([...parseFrames(f)].map((x) => [x.stream, x.data.toString()])).toEqual([
      [1, 'out'],
      [2, 'err!'],
    ]);
  });
});
