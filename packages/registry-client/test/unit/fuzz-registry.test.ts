import { createHash } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  fc,
  fuzz,
  fuzzTimeout,
  parsesOrRefuses,
  regression,
  rejection,
  resolvesOrRefuses,
  tokenString,
} from '@tscr/testkit';
import { createRegistryClient } from '../../src/local/index.js';
import { parseManifest, parseReference, type Descriptor, type ImageSink } from '../../src/index.js';

/** What a hostile registry may send: the codes a pull may fail with (never Unknown or Internal). */
const PULL_CODES = [
  'InvalidArgument',
  'NotFound',
  'Unauthenticated',
  'PermissionDenied',
  'DataLoss',
  'ResourceExhausted',
  'Unavailable',
  'FailedPrecondition',
  'Unimplemented',
] as const;

const sha = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/** How one response goes wrong. */
interface Reply {
  status: number;
  contentType?: string;
  /** `declared` lies about the length; `close` ends the connection early. */
  length: 'true' | 'short' | 'long' | 'huge' | 'none';
  body: Buffer;
  location?: string;
  digestHeader?: 'true' | 'wrong' | 'none';
  wwwAuthenticate?: string;
}

const reply = (body: Buffer, over: Partial<Reply> = {}): Reply => ({
  status: 200,
  length: 'true',
  body,
  digestHeader: 'true',
  ...over,
});

function writeReply(sock: Socket, r: Reply): void {
  const lines = [`HTTP/1.1 ${r.status} X`, 'Connection: close'];
  if (r.contentType !== undefined) lines.push(`Content-Type: ${r.contentType}`);
  const len = {
    true: r.body.length,
    short: Math.max(0, r.body.length - 1),
    long: r.body.length + 100,
    huge: 2 ** 53,
    none: -1,
  }[r.length];
  if (len >= 0) lines.push(`Content-Length: ${len}`);
  if (r.location) lines.push(`Location: ${r.location}`);
  if (r.digestHeader === 'true') lines.push(`Docker-Content-Digest: ${sha(r.body)}`);
  if (r.digestHeader === 'wrong') lines.push(`Docker-Content-Digest: sha256:${'0'.repeat(64)}`);
  if (r.wwwAuthenticate) lines.push(`WWW-Authenticate: ${r.wwwAuthenticate}`);
  sock.end(Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`), r.length === 'short' ? r.body : r.body]));
}

/** A registry on 127.0.0.1:0 that answers from the current scenario: path → reply. */
class FakeRegistry {
  routes = new Map<string, Reply>();
  requests = 0;
  private server: Server = createServer((sock) => {
    let head = '';
    sock.on('error', () => undefined);
    sock.on('data', (d) => {
      head += d.toString('latin1');
      if (!head.includes('\r\n\r\n')) return;
      this.requests++;
      const path = head.split(' ')[1] ?? '/';
      writeReply(
        sock,
        this.routes.get(path.replace(/\?.*$/, '')) ??
          reply(Buffer.from('{"errors":[{"code":"NAME_UNKNOWN"}]}'), { status: 404, contentType: 'application/json' }),
      );
      head = '';
    });
  });
  host = '';
  async start(): Promise<void> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    const addr = this.server.address();
    if (typeof addr === 'object' && addr) this.host = `127.0.0.1:${addr.port}`;
  }
  close(): Promise<void> {
    return new Promise((r) => this.server.close(() => r()));
  }
}

/** A sink that reads every blob to its end and keeps nothing (the data is verified while it streams). */
function sink(): ImageSink & { tagged: number } {
  return {
    tagged: 0,
    hasBlob: async () => false,
    async writeBlob(_d: Descriptor, data: AsyncIterable<Uint8Array>) {
      for await (const _ of data);
    },
    async tag() {
      this.tagged++;
    },
  };
}

const CONTENT_TYPES = [
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.docker.distribution.manifest.v1+prettyjws',
  'text/html',
  'application/json; charset=utf-8',
];
const SIZES = [0, 1, 2, -1, 1.5, 2 ** 53, 2 ** 62, Number.NaN, 4 * 1024 * 1024 + 1, 64 * 1024 * 1024];

const weirdDescriptor = fc.record(
  {
    mediaType: fc.oneof(
      fc.constantFrom(
        ...CONTENT_TYPES,
        'application/vnd.oci.image.layer.v1.tar+gzip',
        'application/vnd.oci.image.config.v1+json',
        '',
      ),
      fc.integer(),
    ),
    digest: fc.oneof(
      fc.constantFrom(
        `sha256:${'a'.repeat(64)}`,
        'sha256:xyz',
        'md5:abc',
        '',
        '../../etc/passwd',
        `sha512:${'b'.repeat(128)}`,
      ),
      fc.string({ maxLength: 8 }),
    ),
    size: fc.oneof(fc.constantFrom(...SIZES), fc.integer()),
    platform: fc.record({
      os: fc.constantFrom('linux', 'windows', ''),
      architecture: fc.constantFrom('amd64', 'arm64', process.arch === 'x64' ? 'amd64' : process.arch),
    }),
  },
  { requiredKeys: [] },
);

describe('fuzz: registry responses', () => {
  const reg = new FakeRegistry();
  beforeAll(() => reg.start());
  afterAll(() => reg.close());

  it('parseManifest accepts or refuses with InvalidArgument', async () => {
    const docs = fc.oneof(
      fc
        .record(
          {
            schemaVersion: fc.constantFrom(1, 2, 3, '2'),
            mediaType: fc.constantFrom(...CONTENT_TYPES),
            config: weirdDescriptor,
            layers: fc.oneof(fc.array(weirdDescriptor, { maxLength: 3 }), fc.constant(null)),
            manifests: fc.array(weirdDescriptor, { maxLength: 3 }),
            annotations: fc.jsonValue(),
          },
          { requiredKeys: [] },
        )
        .map((o) => JSON.stringify(o)),
      fc.json(),
      tokenString(
        ['{', '}', '[', ']', '"schemaVersion":2', '"manifests":', '"layers":', ',', 'null', '1e999', '"'],
        12,
      ),
    );
    await fuzz(
      'manifest documents',
      fc.tuple(docs, fc.option(fc.constantFrom(...CONTENT_TYPES))),
      ([doc, ct]) => {
        parsesOrRefuses(() => parseManifest(Buffer.from(doc), 'fuzz', ct ?? undefined));
      },
      { kind: 'registry response', runs: 2000 },
    );
  });

  it(
    'a pull from a hostile registry ends with a documented code, in bounded time',
    async () => {
      const config = Buffer.from(
        JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } }),
      );
      const layer = Buffer.from('not really a layer');
      const scenario = fc.record({
        manifest: fc.record({
          schemaVersion: fc.constantFrom(2, 2, 1),
          mediaType: fc.constantFrom(...CONTENT_TYPES),
          configMediaType: fc.constantFrom(
            'application/vnd.oci.image.config.v1+json',
            'application/vnd.oci.image.layer.v1.tar',
            'text/plain',
          ),
          configSize: fc.oneof(fc.constant('true' as const), fc.constantFrom(...SIZES)),
          configDigest: fc.constantFrom('true', 'wrong', 'bad'),
          layerSize: fc.oneof(fc.constant('true' as const), fc.constantFrom(...SIZES)),
          asIndex: fc.boolean(),
          indexSize: fc.oneof(fc.constant('true' as const), fc.constantFrom(...SIZES)),
        }),
        manifestReply: fc.record({
          status: fc.constantFrom(200, 200, 200, 401, 403, 404, 429, 500, 302),
          length: fc.constantFrom('true', 'true', 'short', 'long', 'huge', 'none'),
          contentType: fc.option(fc.constantFrom(...CONTENT_TYPES)),
          digestHeader: fc.constantFrom('true', 'wrong', 'none'),
          redirectLoop: fc.boolean(),
          auth: fc.constantFrom(
            '',
            'Bearer',
            'Bearer realm="http://127.0.0.1:1/x",service="s"',
            'Basic realm=x',
            'Weird ,,,=',
            'Bearer realm="/relative"',
          ),
        }),
        blobReply: fc.record({
          status: fc.constantFrom(200, 200, 200, 404, 500, 307),
          length: fc.constantFrom('true', 'true', 'short', 'long', 'huge', 'none'),
          corrupt: fc.boolean(),
          redirectLoop: fc.boolean(),
        }),
        truncateJson: fc.nat({ max: 5 }),
      });
      let n = 0;
      await fuzz(
        'registry pull',
        scenario,
        async (s) => {
          const repo = `fuzz/r${n++}`;
          reg.routes.clear();
          const m = s.manifest;
          const cfgDigest =
            m.configDigest === 'true' ? sha(config) : m.configDigest === 'wrong' ? sha(layer) : 'sha256:zz';
          const manifest = Buffer.from(
            JSON.stringify({
              schemaVersion: m.schemaVersion,
              mediaType: m.mediaType,
              config: {
                mediaType: m.configMediaType,
                digest: cfgDigest,
                size: m.configSize === 'true' ? config.length : m.configSize,
              },
              layers: [
                {
                  mediaType: 'application/vnd.oci.image.layer.v1.tar',
                  digest: sha(layer),
                  size: m.layerSize === 'true' ? layer.length : m.layerSize,
                },
              ],
            }),
          );
          const body = (b: Buffer) => (s.truncateJson === 1 ? b.subarray(0, b.length >> 1) : b);
          const base = `/v2/${repo}`;
          const mr = s.manifestReply;
          const manifestReply = (b: Buffer, path: string): Reply =>
            reply(body(b), {
              status: mr.redirectLoop ? 302 : mr.status,
              length: mr.length as Reply['length'],
              contentType: mr.contentType ?? undefined,
              digestHeader: mr.digestHeader as Reply['digestHeader'],
              location: mr.redirectLoop ? path : mr.status === 302 ? `${path}x` : undefined,
              wwwAuthenticate: mr.auth || undefined,
            });
          if (m.asIndex) {
            const index = Buffer.from(
              JSON.stringify({
                schemaVersion: 2,
                mediaType: 'application/vnd.oci.image.index.v1+json',
                manifests: [
                  {
                    mediaType: m.mediaType,
                    digest: sha(manifest),
                    size: m.indexSize === 'true' ? manifest.length : m.indexSize,
                    platform: { os: 'linux', architecture: process.arch === 'x64' ? 'amd64' : process.arch },
                  },
                ],
              }),
            );
            reg.routes.set(`${base}/manifests/latest`, manifestReply(index, `${base}/manifests/latest`));
            reg.routes.set(`${base}/manifests/${sha(manifest)}`, reply(manifest, { contentType: m.mediaType }));
          } else reg.routes.set(`${base}/manifests/latest`, manifestReply(manifest, `${base}/manifests/latest`));
          const br = s.blobReply;
          for (const [digest, data] of [
            [cfgDigest, config],
            [sha(layer), layer],
          ] as const) {
            const path = `${base}/blobs/${digest}`;
            const bytes = br.corrupt ? Buffer.concat([data.subarray(1), Buffer.from('!')]) : data;
            reg.routes.set(
              path,
              reply(bytes, {
                status: br.redirectLoop ? 307 : br.status,
                length: br.length as Reply['length'],
                location: br.redirectLoop ? path : br.status === 307 ? `${path}y` : undefined,
                digestHeader: 'none',
              }),
            );
          }
          const out = sink();
          const client = createRegistryClient({
            retry: { retries: 1, baseDelayMs: 1 },
            store: {
              ...out,
              resolve: async () => {
                throw new Error('unused');
              },
              readBlob: () => {
                throw new Error('unused');
              },
            } as never,
          });
          await resolvesOrRefuses(async () => {
            for await (const _ of client.pull(`${reg.host}/${repo}:latest`, { signal: AbortSignal.timeout(8000) }));
          }, [...PULL_CODES]);
        },
        { kind: 'registry response', runs: 300, timeoutMs: 10_000 },
      );
      expect(reg.requests).toBeGreaterThan(300);
    },
    fuzzTimeout(120_000),
  );

  it('image references parse or refuse with InvalidArgument; a parsed one reparses to itself', async () => {
    const tokens = [
      'docker.io',
      'localhost',
      ':5000',
      '127.0.0.1',
      '[::1]',
      '/',
      'library',
      'a',
      'A',
      '-',
      '_',
      '__',
      '.',
      ':',
      'tag',
      '@',
      'sha256:',
      'a'.repeat(64),
      'x'.repeat(130),
      '..',
      ' ',
      '\u00e9',
    ];
    await fuzz(
      'image reference',
      tokenString(tokens, 10),
      (s) => {
        const ref = parsesOrRefuses(() => parseReference(s));
        if (!ref) return;
        expect(parseReference(ref.normalized).normalized).toBe(ref.normalized);
        expect(parseReference(ref.familiar).normalized).toBe(ref.normalized);
      },
      { kind: 'image reference', runs: 3000 },
    );
  });

  it('regression: a blob that redirects to itself fails FailedPrecondition, not Unknown', async () => {
    regression(
      'registry response',
      'a blob (or manifest) URL that redirects to itself ended the pull with code Unknown ("HTTP 307"); now FailedPrecondition naming the redirect loop',
    );
    const config = Buffer.from('{}');
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha(config), size: config.length },
        layers: [],
      }),
    );
    reg.routes.clear();
    reg.routes.set(
      '/v2/loop/manifests/latest',
      reply(manifest, { contentType: 'application/vnd.oci.image.manifest.v1+json' }),
    );
    reg.routes.set(
      `/v2/loop/blobs/${sha(config)}`,
      reply(Buffer.alloc(0), { status: 307, location: `/v2/loop/blobs/${sha(config)}` }),
    );
    const client = createRegistryClient({ retry: { retries: 0 }, store: sink() as never });
    const err = await rejection(
      (async () => {
        for await (const _ of client.pull(`${reg.host}/loop:latest`));
      })(),
    );
    expect(err.code).toBe('FailedPrecondition');
    expect(err.message).toMatch(/redirect/);
  });
});
