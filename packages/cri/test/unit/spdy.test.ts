import { createHash } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { constants, createDeflate, inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { SPDY_DICTIONARY, SpdyConnection, type SpdyStream } from '../../src/streaming/spdy.js';

/** A client's header block compressor: one zlib stream with the dictionary, flushed per frame (as Go's framer). */
function headerCompressor() {
  const z = createDeflate({ dictionary: SPDY_DICTIONARY });
  return (headers: Record<string, string>): Promise<Buffer> => {
    const parts: Buffer[] = [];
    const entries = Object.entries(headers);
    const u32 = (n: number) => {
      const b = Buffer.alloc(4);
      b.writeUInt32BE(n);
      return b;
    };
    parts.push(u32(entries.length));
    for (const [k, v] of entries) parts.push(u32(k.length), Buffer.from(k), u32(v.length), Buffer.from(v));
    return new Promise((resolve) => {
      const out: Buffer[] = [];
      const onData = (d: Buffer) => out.push(d);
      z.on('data', onData);
      z.write(Buffer.concat(parts));
      z.flush(constants.Z_SYNC_FLUSH, () => {
        z.off('data', onData);
        resolve(Buffer.concat(out));
      });
    });
  };
}

function synStream(id: number, block: Buffer, fin = false): Buffer {
  const body = Buffer.alloc(10);
  body.writeUInt32BE(id, 0);
  const h = Buffer.alloc(8);
  h.writeUInt16BE(0x8003, 0);
  h.writeUInt16BE(1, 2);
  h.writeUInt32BE(((fin ? 1 : 0) << 24) | (body.length + block.length), 4);
  return Buffer.concat([h, body, block]);
}

function dataFrame(id: number, data: Buffer, fin = false): Buffer {
  const h = Buffer.alloc(8);
  h.writeUInt32BE(id, 0);
  h.writeUInt32BE(((fin ? 1 : 0) << 24) | data.length, 4);
  return Buffer.concat([h, data]);
}

/** Splits what the server wrote into frames. */
function frames(buf: Buffer): { control: boolean; type: number; id: number; flags: number; body: Buffer }[] {
  const out = [];
  let off = 0;
  while (off + 8 <= buf.length) {
    const len = buf.readUInt32BE(off + 4) & 0xffffff;
    const control = (buf[off]! & 0x80) !== 0;
    const body = buf.subarray(off + 8, off + 8 + len);
    out.push({
      control,
      type: control ? buf.readUInt16BE(off + 2) : 0,
      id: control ? body.readUInt32BE(0) & 0x7fffffff : buf.readUInt32BE(off) & 0x7fffffff,
      flags: buf[off + 4]!,
      body,
    });
    off += 8 + len;
  }
  return out;
}

describe('SPDY/3.1 server connection', () => {
  it('has the SPDY/3 header dictionary', () => {
    expect(SPDY_DICTIONARY.length).toBe(1423);
    expect(createHash('sha256').update(SPDY_DICTIONARY).digest('hex')).toBe(
      '51d27341373f923f3cd88e1eb7162aeaa3723d7585ff2399201dc06498407f02',
    );
  });

  it('answers the streams a client opens, carries data both ways and half-closes with FIN', async () => {
    const socket = new PassThrough();
    const written: Buffer[] = [];
    const fromServer = new PassThrough();
    fromServer.on('data', (d: Buffer) => written.push(d));
    // A duplex: reads come from `socket`, writes go to `fromServer`.
    const duplex = Object.assign(socket, { write: (d: Buffer) => fromServer.write(d) }) as unknown as PassThrough;
    const conn = new SpdyConnection(duplex);
    const streams: SpdyStream[] = [];
    conn.on('stream', (s: SpdyStream) => streams.push(s));
    const compress = headerCompressor();
    socket.emit('data', synStream(1, await compress({ streamtype: 'error' })));
    socket.emit('data', synStream(3, await compress({ streamtype: 'stdin', port: '80' })));
    expect(streams.map((s) => s.headers)).toEqual([{ streamtype: 'error' }, { streamtype: 'stdin', port: '80' }]);

    const received: Buffer[] = [];
    streams[1]!.input.on('data', (d: Buffer) => received.push(d));
    const ended = new Promise((r) => streams[1]!.input.on('end', r));
    socket.emit('data', Buffer.concat([dataFrame(3, Buffer.from('hel')), dataFrame(3, Buffer.from('lo'), true)]));
    await ended;
    expect(Buffer.concat(received).toString()).toBe('hello');

    await streams[0]!.write(Buffer.from('status'));
    await streams[0]!.end();
    const out = frames(Buffer.concat(written));
    const replies = out.filter((f) => f.control && f.type === 2);
    expect(replies.map((r) => r.id)).toEqual([1, 3]);
    // The reply header blocks form one zlib stream any inflater reads, block by block.
    const blocks = Buffer.concat(replies.map((r) => r.body.subarray(4)));
    expect(inflateSync(blocks, { finishFlush: constants.Z_SYNC_FLUSH })).toEqual(Buffer.alloc(8));
    const data = out.filter((f) => !f.control);
    expect(data.map((d) => [d.id, d.body.toString(), d.flags])).toEqual([
      [1, 'status', 0],
      [1, '', 1],
    ]);
  });
});
