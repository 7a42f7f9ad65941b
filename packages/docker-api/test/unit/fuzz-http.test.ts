/**
 * Fuzz of the Docker Engine API front door: random requests (every route, odd
 * path parameters, query filters, JSON bodies of the right and wrong shapes,
 * garbage and oversize bodies) against the real HTTP handler on a temporary
 * UNIX socket, with backends that refuse every call (NotFound) or list nothing.
 * Invariants: an answer within the timeout, a JSON `message` on every error,
 * never a 5xx but 501 (Unimplemented), and the server still answers afterwards.
 */
import { rm } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { notFound } from '@tscr/api';
import { fc, fuzz, fuzzTimeout, makeTempDir, regression } from '@tscr/testkit';
import { type DockerApiBackends, type DockerApiServer, createDockerApiServer } from '../../src/index.js';

interface Reply {
  status: number;
  body: string;
}

function call(socketPath: string, method: string, path: string, body?: Buffer): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { 'Content-Type': 'application/json' };
    // Framed as every client frames it (Node sends a DELETE's body unframed otherwise).
    if (body) headers['Content-Length'] = body.length;
    const req = request({ socketPath, method, path, headers }, (res) => {
      let text = '';
      res.on('data', (b: Buffer) => {
        if (text.length < 65536) text += b.toString();
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.setTimeout(5000, () => req.destroy(new Error(`no answer to ${method} ${path} in 5 s`)));
    req.end(body);
  });
}

/** A call that fails NotFound whether awaited or iterated. */
function refused(): unknown {
  const err = notFound('fuzz backend: no such object', { details: { id: 'fuzz' } });
  const p = Promise.reject(err);
  p.catch(() => undefined);
  return Object.assign(p, {
    async *[Symbol.asyncIterator]() {
      yield* [];
      throw err;
    },
  });
}

/** Backends whose every method refuses, but `list` (an empty list). */
function refusingBackends(): DockerApiBackends {
  const service = () =>
    new Proxy(
      {},
      {
        get: (_t, key) => (key === 'then' ? undefined : key === 'list' ? async () => [] : () => refused()),
      },
    );
  return {
    containers: service(),
    images: service(),
    registry: service(),
    volumes: service(),
    networks: service(),
    system: service(),
  } as unknown as DockerApiBackends;
}

const ROUTES =
  `DELETE /containers/:id;DELETE /images/:name;DELETE /networks/:id;DELETE /volumes/:name;GET /containers/:id/archive;GET /containers/:id/changes;GET /containers/:id/export;GET /containers/:id/json;GET /containers/:id/logs;GET /containers/:id/stats;GET /containers/:id/top;GET /containers/json;GET /events;GET /exec/:id/json;GET /images/:name/get;GET /images/:name/history;GET /images/:name/json;GET /images/get;GET /images/json;GET /images/search;GET /info;GET /networks;GET /networks/:id;GET /system/df;GET /version;GET /volumes;GET /volumes/:name;HEAD /containers/:id/archive;POST /auth;POST /build;POST /commit;POST /containers/:id/attach;POST /containers/:id/exec;POST /containers/:id/kill;POST /containers/:id/pause;POST /containers/:id/rename;POST /containers/:id/resize;POST /containers/:id/restart;POST /containers/:id/start;POST /containers/:id/stop;POST /containers/:id/unpause;POST /containers/:id/update;POST /containers/:id/wait;POST /containers/create;POST /containers/prune;POST /exec/:id/resize;POST /exec/:id/start;POST /images/:name/push;POST /images/:name/tag;POST /images/create;POST /images/load;POST /images/prune;POST /networks/:id/connect;POST /networks/:id/disconnect;POST /networks/create;POST /networks/prune;POST /volumes/create;POST /volumes/prune;PUT /containers/:id/archive;GET /nothing;PATCH /containers/json`
    .split(';')
    .map((r) => r.split(' ') as [string, string]);

const ID = fc.constantFrom(
  'x',
  'a'.repeat(64),
  '%2e%2e',
  '..',
  '%00',
  '%ZZ',
  'busybox%3Alatest',
  'a%2Fb',
  '%20',
  'UPPER',
  '-',
  '%E9',
);
const FILTER_VALUES = fc.oneof(
  fc.constantFrom(
    '{"label":["a=b"]}',
    '{"label":{"a":true}}',
    '{"status":["running","bogus"]}',
    '{"dangling":["maybe"]}',
    '{"until":["1h"]}',
    '{"until":["-99999999999999999999"]}',
    '{"before":["x"]}',
    '{"name":"str"}',
    '[1,2]',
    'null',
    '"x"',
    '{',
    '{"label":[null]}',
    '{"id":[1]}',
    '{"reference":["[z-a]"]}',
    '{"type":["custom"]}',
    '{"driver":[""]}',
  ),
  fc.json({ maxDepth: 2 }),
);
const QUERY_KEYS = [
  'all',
  'limit',
  'size',
  'filters',
  'since',
  'until',
  't',
  'timeout',
  'signal',
  'force',
  'v',
  'link',
  'name',
  'tag',
  'repo',
  'fromImage',
  'follow',
  'stdout',
  'stderr',
  'tail',
  'timestamps',
  'stream',
  'ps_args',
  'h',
  'w',
  'condition',
  'path',
  'noOverwriteDirNonDir',
  'dockerfile',
  'buildargs',
  'labels',
  'platform',
  'quiet',
  'changes',
  'container',
  'pause',
  'comment',
  'author',
  'detachKeys',
  'logs',
];
const QUERY_VALUES = fc.oneof(
  fc.constantFrom(
    '1',
    '0',
    'true',
    'false',
    '-1',
    '1e999',
    'NaN',
    '',
    'x',
    '99999999999999999999',
    '%',
    'SIGKILL',
    'SIGBOGUS',
    '9999',
    '{"a":"b"}',
    '["CMD x"]',
    'all',
  ),
  FILTER_VALUES,
);
const query = fc
  .array(fc.tuple(fc.constantFrom(...QUERY_KEYS), QUERY_VALUES), { maxLength: 4 })
  .map((kv) => kv.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&'));

const weird = fc.constantFrom<unknown>(
  null,
  -1,
  1e30,
  -1e30,
  0.5,
  '',
  'x',
  [],
  {},
  [null],
  { a: 1 },
  true,
  '99999999999999999999',
  'NaN',
);
const createBody = fc.record(
  {
    Image: fc.oneof(fc.constantFrom('busybox', '', 'UPPER', 'a@sha256:zz'), weird),
    Cmd: fc.oneof(fc.constant(['true']), weird),
    Env: fc.oneof(fc.constant(['A=1', '=', 'B']), weird),
    ExposedPorts: fc.oneof(fc.constant({ '80/tcp': {}, '99999/udp': {}, 'x/sctp': {} }), weird),
    Labels: fc.oneof(fc.constant({ a: 'b' }), weird),
    Healthcheck: fc.oneof(fc.constant({ Test: ['CMD', 'x'], Interval: -1 }), weird),
    HostConfig: fc.record(
      {
        Binds: fc.oneof(fc.constant(['/a:/b:zz', 'vol:/x', ':::', 'rel:/y']), weird),
        PortBindings: fc.oneof(fc.constant({ '80/tcp': [{ HostPort: '99999' }], bad: [{ HostIp: 'x' }] }), weird),
        Mounts: fc.oneof(fc.constant([{ Type: 'bind', Source: 'rel', Target: '/' }, { Type: 'x' }]), weird),
        Tmpfs: fc.oneof(fc.constant({ '/run': 'size=-1', rel: '' }), weird),
        Ulimits: fc.oneof(fc.constant([{ Name: 'nofile', Soft: 1e30, Hard: -5 }, { Name: 'bogus' }]), weird),
        Devices: fc.oneof(fc.constant([{ PathOnHost: 'rel', PathInContainer: '', CgroupPermissions: 'xyz' }]), weird),
        Memory: weird,
        NanoCpus: weird,
        CpuShares: weird,
        RestartPolicy: fc.oneof(fc.constant({ Name: 'on-failure', MaximumRetryCount: -3 }), weird),
        NetworkMode: fc.oneof(fc.constantFrom('bridge', 'host', 'none', 'container:x', 'bogus'), weird),
        LogConfig: fc.oneof(fc.constant({ Type: 'json-file', Config: { 'max-size': '-1' } }), weird),
        ShmSize: weird,
        Sysctls: fc.oneof(fc.constant({ 'kernel.x': '1' }), weird),
        CapAdd: fc.oneof(fc.constant(['ALL', 'bogus']), weird),
        SecurityOpt: fc.oneof(fc.constant(['seccomp={', 'no-new-privileges:maybe']), weird),
      },
      { requiredKeys: [] },
    ),
    NetworkingConfig: fc.oneof(
      fc.constant({ EndpointsConfig: { net: { IPAMConfig: { IPv4Address: '999.1.1.1' } } } }),
      weird,
    ),
  },
  { requiredKeys: [] },
);
const otherBody = fc.record(
  {
    Name: weird,
    Driver: weird,
    DriverOpts: weird,
    Labels: weird,
    IPAM: fc.oneof(fc.constant({ Config: [{ Subnet: '10.0.0.0/33' }] }), weird),
    Container: weird,
    EndpointConfig: weird,
    Force: weird,
    Cmd: weird,
    Env: weird,
    Tty: weird,
    User: weird,
    WorkingDir: weird,
    AttachStdout: weird,
    Detach: weird,
    Memory: weird,
    CpuShares: weird,
    RestartPolicy: weird,
    username: weird,
    password: weird,
    serveraddress: weird,
  },
  { requiredKeys: [] },
);
const body = fc.oneof(
  fc.constant(undefined),
  createBody.map((b) => Buffer.from(JSON.stringify(b))),
  otherBody.map((b) => Buffer.from(JSON.stringify(b))),
  fc.json({ maxDepth: 3 }).map((j) => Buffer.from(j)),
  fc.uint8Array({ maxLength: 64 }).map((a) => Buffer.from(a)),
  fc.constantFrom(
    Buffer.from('{"Image": '),
    Buffer.from('[]'),
    Buffer.from('null'),
    Buffer.alloc(8192, 0x20),
    Buffer.from('{"__proto__":{"x":1}}'),
  ),
);

describe('fuzz: Docker API requests', () => {
  let server: DockerApiServer;
  let sock = '';
  let dir = '';
  const logged: string[] = [];
  beforeAll(async () => {
    dir = await makeTempDir('docker-api-fuzz');
    sock = join(dir, 'docker.sock');
    server = await createDockerApiServer(refusingBackends(), `unix://${sock}`, {
      maxJsonBody: 4096,
      logger: (m) => logged.push(m),
    });
  });
  afterAll(async () => {
    await server?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it(
    'every request gets a 2xx/4xx/501 answer with a JSON message on errors, in bounded time',
    async () => {
      const req = fc.record({
        route: fc.constantFrom(...ROUTES),
        version: fc.constantFrom('', '/v1.24', '/v1.41', '/v1.51', '/v1.12', '/v2.0', '/v1.x'),
        id: ID,
        query,
        body,
      });
      await fuzz(
        'docker api request',
        req,
        async ({ route: [method, path], version, id, query: q, body: b }) => {
          const url = `${version}${path.replace(/:(id|name)/g, id)}${q ? `?${q}` : ''}`;
          const r = await call(sock, method, url, b);
          if (r.status >= 500 && r.status !== 501) throw new Error(`${method} ${url} → ${r.status}: ${r.body}`);
          if (r.status >= 400 && method !== 'HEAD') {
            const parsed = JSON.parse(r.body) as { message?: unknown };
            expect(typeof parsed.message).toBe('string');
          }
        },
        { kind: 'Docker API request', runs: 1500, timeoutMs: 10_000 },
      );
      expect((await call(sock, 'GET', '/_ping')).body).toBe('OK');
    },
    fuzzTimeout(120_000),
  );

  it('regression: a malformed %-escape in a path is 400, not 500 "URI malformed"', async () => {
    regression(
      'Docker API request',
      '`DELETE /containers/%ZZ` (any route parameter with a malformed %-escape) answered 500 "URI malformed"; now 400 naming the escape',
    );
    const r = await call(sock, 'DELETE', '/containers/%ZZ');
    expect(r.status).toBe(400);
    expect(JSON.parse(r.body).message).toContain('malformed escape');
  });

  it('regression: a `__proto__` key in a create body is refused by name (400), not a 500 TypeError', async () => {
    regression(
      'Docker API request',
      'a container-create body with a `__proto__` key answered 500 ("neutral[key]?.some is not a function": the key found Object.prototype); now 400 naming the unsupported option',
    );
    const r = await call(sock, 'POST', '/containers/create', Buffer.from('{"Image":"x","__proto__":{"x":1}}'));
    expect(r.status).toBe(400);
    expect(JSON.parse(r.body).message).toContain('__proto__');
  });
});
