import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { write } from '../../src/command.js';
import { FrameDecoder, HOST_FRAMES, MAX_FRAME } from '../../src/host/frames.js';
import { createRequestIo, type FrameSink } from '../../src/host/io.js';
import type { HostRequest } from '../../src/host/request.js';

/** A sink that keeps the frames, and says "full" after `room` writes until drained. */
class Sink extends EventEmitter implements FrameSink {
  readonly decoder = new FrameDecoder(HOST_FRAMES);
  readonly frames: [string, string][] = [];
  constructor(private room = Number.POSITIVE_INFINITY) {
    super();
  }
  write(data: Uint8Array): boolean {
    for (const f of this.decoder.push(data)) this.frames.push([f.type, f.payload.toString('latin1')]);
    this.room -= 1;
    return this.room > 0;
  }
  drain(room: number): void {
    this.room = room;
    this.emit('drain');
  }
}

const request = (o: Partial<HostRequest> = {}): HostRequest => ({
  argv: [],
  env: { HOME: '/home/u', TSCR_HOST: 'unix:///x.sock' },
  cwd: '/',
  tty: [false, false, false],
  cols: 0,
  rows: 0,
  ...o,
});

describe("a CLI host request's io", () => {
  it('frames stdout as 1 and stderr as 2, in the order written', async () => {
    const sink = new Sink();
    const r = createRequestIo(request(), sink);
    await write(r.io.stdout, 'out\n');
    await write(r.io.stderr, 'err\n');
    await write(r.io.stdout, Buffer.from([0xff, 0]));
    await r.flush();
    expect(sink.frames).toEqual([
      ['1', 'out\n'],
      ['2', 'err\n'],
      ['1', '\xff\x00'],
    ]);
  });

  it("gives the client's environment (a copy), terminal flags and size, and no stdin", () => {
    const req = request({ tty: [false, true, false], cols: 120, rows: 40 });
    const { io } = createRequestIo(req, new Sink());
    expect(io.env).toEqual(req.env);
    io.env.EXTRA = '1';
    expect(req.env.EXTRA).toBeUndefined();
    expect(io.stdout).toMatchObject({ isTTY: true, columns: 120, rows: 40 });
    expect((io.stderr as { isTTY?: boolean }).isTTY).toBe(false);
    expect((io.stderr as { columns?: number }).columns).toBeUndefined();
    expect(io.stdin).toBeUndefined();
  });

  it('splits a chunk over 1 MiB into frames of at most 1 MiB', async () => {
    const sink = new Sink();
    const r = createRequestIo(request(), sink);
    await write(r.io.stdout, Buffer.alloc(MAX_FRAME * 2 + 5, 0x61));
    await r.flush();
    expect(sink.frames.map(([t, p]) => [t, p.length])).toEqual([
      ['1', MAX_FRAME],
      ['1', MAX_FRAME],
      ['1', 5],
    ]);
  });

  it("waits for the sink's drain when it is full (backpressure), and not after it closes", async () => {
    const sink = new Sink(1);
    const r = createRequestIo(request(), sink);
    r.io.stdout.write('a');
    r.io.stdout.write('b');
    let flushed = false;
    const flushing = r.flush().then(() => (flushed = true));
    await new Promise((res) => setTimeout(res, 20));
    expect(sink.frames).toEqual([['1', 'a']]);
    expect(flushed).toBe(false);
    sink.drain(100);
    await flushing;
    expect(sink.frames).toEqual([
      ['1', 'a'],
      ['1', 'b'],
    ]);
    const closing = new Sink(1);
    const c = createRequestIo(request(), closing);
    c.io.stdout.write('x');
    c.io.stdout.write('y');
    closing.emit('close');
    await c.flush();
  });

  it('drops output once detached', async () => {
    const sink = new Sink();
    const r = createRequestIo(request(), sink);
    await write(r.io.stdout, 'kept');
    r.detach();
    expect(r.attached).toBe(false);
    await write(r.io.stdout, 'dropped');
    await write(r.io.stderr, 'dropped');
    await r.flush();
    expect(sink.frames).toEqual([['1', 'kept']]);
  });

  it('delivers signals by name to the io', () => {
    const r = createRequestIo(request(), new Sink());
    const got: string[] = [];
    r.io.signals?.on('SIGINT', () => got.push('INT'));
    r.signals.emit('SIGINT');
    expect(got).toEqual(['INT']);
  });
});
