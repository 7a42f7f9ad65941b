import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { type Http2Server, type Http2Session, type ServerHttp2Stream, createServer } from 'node:http2';
import { connect, createServer as createNetServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { H2Session } from '../../src/wire/h2/session.js';
import type { H2Headers, H2Stream } from '../../src/wire/h2/stream.js';

// The CLI's own HTTP/2 client against nghttp2's server side (node:http2), which Huffman-codes and indexes
// its headers, keeps 64 KiB default windows and splits what it sends into 16 KiB frames.
type Handler = (stream: ServerHttp2Stream, headers: Record<string, unknown>, session: Http2Session) => void;

describe('the CLI’s HTTP/2 client', () => {
  let server: Http2Server;
  let port: number;
  const handlers = new Map<string, Handler>();
  const sessions: Http2Session[] = [];
  beforeAll(async () => {
    server = createServer();
    server.on('session', (s) => sessions.push(s));
    server.on('stream', (stream, headers) => {
      const handler = handlers.get(String(headers[':path']));
      if (handler) handler(stream, headers, stream.session as Http2Session);
      else stream.respond({ ':status': 404 }, { endStream: true });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    for (const s of sessions) s.destroy();
    server.close();
  });

  const open = () =>
    new H2Session(connect({ host: '127.0.0.1', port }), { scheme: 'http', authority: `127.0.0.1:${port}` });

  /** Everything a stream gives: headers, body, trailers, and how it ended. */
  async function collect(stream: H2Stream, reader?: (chunk: Buffer) => void) {
    let headers: H2Headers | undefined;
    let trailers: H2Headers | undefined;
    const chunks: Buffer[] = [];
    let error: Error | undefined;
    stream.on('response', (h: H2Headers) => {
      headers = h;
    });
    stream.on('trailers', (h: H2Headers) => {
      trailers = h;
    });
    stream.on('data', (c: Buffer) => {
      chunks.push(c);
      reader?.(c);
    });
    stream.on('error', (e: Error) => {
      error = e;
    });
    // Not events.once: it would reject on the 'error' this collects.
    await new Promise((resolve) => stream.on('close', resolve));
    return { headers, trailers, body: Buffer.concat(chunks), error };
  }

  it('echoes large bodies both ways within the flow-control windows, with trailers', async () => {
    handlers.set('/echo', (stream) => {
      stream.respond({ ':status': 200, 'content-type': 'application/octet-stream' }, { waitForTrailers: true });
      stream.on('wantTrailers', () => stream.sendTrailers({ 'x-status': 'done', 'x-note': 'ok' }));
      stream.pipe(stream);
    });
    const session = open();
    const body = randomBytes(3 * 1024 * 1024 + 123);
    const stream = session.request({ ':method': 'POST', ':path': '/echo', 'x-custom': 'a' });
    const done = collect(stream);
    // Written in pieces, each awaited on 'drain' when the client asks for it.
    for (let at = 0; at < body.length; at += 200 * 1024) {
      if (!stream.write(body.subarray(at, at + 200 * 1024))) await once(stream, 'drain');
    }
    stream.end();
    const got = await done;
    expect(got.error).toBeUndefined();
    expect(got.headers?.[':status']).toBe('200');
    expect(got.body.equals(body)).toBe(true);
    expect(got.trailers).toMatchObject({ 'x-status': 'done', 'x-note': 'ok' });
    session.close();
    await once(session, 'close');
  });

  it('holds back its window while the reader is paused, then reads everything', async () => {
    const size = 4 * 1024 * 1024;
    let written = 0;
    handlers.set('/big', (stream) => {
      stream.respond({ ':status': 200 });
      const piece = Buffer.alloc(64 * 1024, 7);
      const pump = () => {
        while (written < size) {
          written += piece.length;
          if (!stream.write(piece)) return void stream.once('drain', pump);
        }
        stream.end();
      };
      pump();
    });
    const session = open();
    const stream = session.request({ ':method': 'GET', ':path': '/big' });
    let received = 0;
    let pausedAt = 0;
    const done = collect(stream, (c) => {
      received += c.length;
      if (!pausedAt && received >= 100 * 1024) {
        pausedAt = received;
        stream.pause();
      }
    });
    stream.end();
    while (!pausedAt) await new Promise((r) => setTimeout(r, 5));
    await new Promise((r) => setTimeout(r, 200));
    // Paused: the server cannot have put more than the stream's window (1 MiB) past what was read, plus its
    // own buffering (node keeps what it could not send), far below all of it.
    expect(received).toBe(pausedAt);
    expect(written).toBeLessThan(size);
    stream.resume();
    const got = await done;
    expect(got.error).toBeUndefined();
    expect(received).toBe(size);
    session.close();
  });

  it('decodes many indexed and large headers (CONTINUATION) across streams of one connection', async () => {
    const large = 'z'.repeat(40 * 1024);
    handlers.set('/headers', (stream, headers) => {
      stream.respond({ ':status': 200, 'x-repeat': 'same value every time', 'x-n': String(headers['x-n']) });
      stream.end('x');
    });
    handlers.set('/large', (stream) => {
      stream.respond({ ':status': 200, 'x-large': large }, { endStream: true });
    });
    const session = open();
    // One after another (the server indexes x-repeat on the first, then sends an index), then three at once.
    for (let n = 0; n < 5; n++) {
      const s = session.request({ ':method': 'GET', ':path': '/headers', 'x-n': String(n) });
      const got = collect(s);
      s.end();
      expect((await got).headers).toMatchObject({ 'x-n': String(n), 'x-repeat': 'same value every time' });
    }
    const streams = [0, 1, 2].map((n) => session.request({ ':method': 'GET', ':path': '/headers', 'x-n': String(n) }));
    const results = await Promise.all(
      streams.map((s) => {
        const r = collect(s);
        s.end();
        return r;
      }),
    );
    expect(results.map((r) => r.headers?.['x-n'])).toEqual(['0', '1', '2']);
    expect(results.every((r) => r.headers?.['x-repeat'] === 'same value every time')).toBe(true);
    const big = session.request({ ':method': 'GET', ':path': '/large' });
    const gotBig = collect(big);
    big.end();
    expect((await gotBig).headers?.['x-large']).toBe(large);
    session.close();
  });

  it('answers the server’s PING and reports RST_STREAM', async () => {
    handlers.set('/reset', (stream) => {
      stream.on('error', () => undefined);
      stream.close(2);
    });
    handlers.set('/hang', () => undefined);
    const session = open();
    const reset = session.request({ ':method': 'GET', ':path': '/reset' });
    const gotReset = collect(reset);
    reset.end();
    expect((await gotReset).error?.message).toMatch(/INTERNAL_ERROR/);
    const serverSide = sessions.at(-1)!;
    const rtt = await new Promise<number>((resolve, reject) =>
      serverSide.ping((err, ms) => (err ? reject(err) : resolve(ms))),
    );
    expect(rtt).toBeGreaterThanOrEqual(0);
    session.close();
  });

  it('on GOAWAY fails the streams the server did not take, finishes the others, then ends', async () => {
    // A server written frame by frame: it takes stream 1 only (GOAWAY last=1), then answers it.
    const frame = (type: number, flags: number, id: number, payload = Buffer.alloc(0)) => {
      const head = Buffer.alloc(9);
      head.writeUIntBE(payload.length, 0, 3);
      head[3] = type;
      head[4] = flags;
      head.writeUInt32BE(id, 5);
      return Buffer.concat([head, payload]);
    };
    const raw = createNetServer((socket) => {
      socket.once('data', () => {
        const goaway = Buffer.alloc(8);
        goaway.writeUInt32BE(1, 0);
        socket.write(Buffer.concat([frame(4, 0, 0), frame(7, 0, 0, goaway)]));
        // ':status: 200' is static entry 8; END_STREAM | END_HEADERS.
        setTimeout(() => socket.write(frame(1, 0x5, 1, Buffer.from([0x88]))), 50);
      });
      socket.on('error', () => undefined);
    });
    raw.listen(0, '127.0.0.1');
    await once(raw, 'listening');
    try {
      const rawPort = (raw.address() as AddressInfo).port;
      const session = new H2Session(connect({ host: '127.0.0.1', port: rawPort }), { scheme: 'http', authority: 'x' });
      const taken = session.request({ ':method': 'GET', ':path': '/a' });
      const dropped = session.request({ ':method': 'GET', ':path': '/b' });
      const [gotTaken, gotDropped] = [collect(taken), collect(dropped)];
      taken.end();
      dropped.end();
      const closed = new Promise((resolve) => session.on('close', resolve));
      expect((await gotDropped).error?.message).toMatch(/went away/);
      expect(session.closed).toBe(true);
      expect(() => session.request({ ':method': 'GET', ':path': '/c' })).toThrow(/closed/);
      const answer = await gotTaken;
      expect(answer.error).toBeUndefined();
      expect(answer.headers?.[':status']).toBe('200');
      await closed;
      expect(session.destroyed).toBe(true);
    } finally {
      raw.close();
    }
  });

  it('fails its streams when the connection cannot be made', async () => {
    const session = new H2Session(connect({ host: '127.0.0.1', port: 1 }), { scheme: 'http', authority: 'x' });
    session.on('error', () => undefined);
    const stream = session.request({ ':method': 'GET', ':path': '/' });
    const got = collect(stream);
    stream.end();
    expect((await got).error?.message).toMatch(/ECONNREFUSED/);
  });
});
