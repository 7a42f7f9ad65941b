import { describe, expect, it } from 'vitest';
import {
  CLIENT_FRAMES,
  encodeFrame,
  FrameDecoder,
  HOST_FRAMES,
  MAX_FRAME,
  REQUEST,
  SIGNAL,
  STDOUT,
} from '../../src/host/frames.js';
import { parseRequest } from '../../src/host/request.js';

describe('CLI host frames', () => {
  it('encodes type, big-endian length and payload', () => {
    expect([...encodeFrame(SIGNAL, Buffer.from([2]))]).toEqual([0x53, 0, 0, 0, 1, 2]);
    expect([...encodeFrame('A')]).toEqual([0x41, 0, 0, 0, 0]);
    expect(encodeFrame(STDOUT, 'héllo').subarray(5).toString('utf8')).toBe('héllo');
    expect(encodeFrame(STDOUT, Buffer.alloc(300)).readUInt32BE(1)).toBe(300);
  });

  it('refuses a type that is not one ASCII byte, and a payload over 1 MiB', () => {
    expect(() => encodeFrame('RR')).toThrow(/one ASCII byte/);
    expect(() => encodeFrame('é')).toThrow(/one ASCII byte/);
    expect(() => encodeFrame(STDOUT, Buffer.alloc(MAX_FRAME + 1))).toThrow(
      expect.objectContaining({ code: 'InvalidArgument' }),
    );
    expect(encodeFrame(STDOUT, Buffer.alloc(MAX_FRAME)).length).toBe(MAX_FRAME + 5);
  });

  it('decodes frames split anywhere and several in one chunk', () => {
    const bytes = Buffer.concat([
      encodeFrame(REQUEST, '{"v":1}'),
      encodeFrame(SIGNAL, Buffer.from([15])),
      encodeFrame(SIGNAL, Buffer.from([2])),
    ]);
    for (let cut = 0; cut <= bytes.length; cut++) {
      const d = new FrameDecoder(CLIENT_FRAMES);
      const frames = [...d.push(bytes.subarray(0, cut)), ...d.push(bytes.subarray(cut))];
      expect(frames.map((f) => [f.type, [...f.payload]])).toEqual([
        ['R', [...Buffer.from('{"v":1}')]],
        ['S', [15]],
        ['S', [2]],
      ]);
      expect(d.pending).toBe(0);
    }
    const byByte = new FrameDecoder(CLIENT_FRAMES);
    const got = [...bytes].flatMap((b) => byByte.push(Buffer.from([b])));
    expect(got).toHaveLength(3);
  });

  it('keeps an incomplete frame pending', () => {
    const d = new FrameDecoder(HOST_FRAMES);
    expect(d.push(encodeFrame(STDOUT, 'abc').subarray(0, 6))).toEqual([]);
    expect(d.pending).toBe(6);
  });

  it('rejects an unknown type or an oversized length from the header alone', () => {
    expect(() => new FrameDecoder(CLIENT_FRAMES).push(encodeFrame(STDOUT, 'x'))).toThrow(/unknown frame type 0x31/);
    const head = Buffer.from([0x52, 0, 0x10, 0, 1]); // R, 1 MiB + 1, no payload yet
    expect(() => new FrameDecoder(CLIENT_FRAMES).push(head)).toThrow(/over 1048576/);
  });
});

describe('CLI host request', () => {
  const good = {
    v: 1,
    argv: ['ps', '-a'],
    env: { HOME: '/root' },
    cwd: '/tmp',
    tty: [false, true, true],
    cols: 80,
    rows: 24,
  };
  const parse = (o: unknown) => parseRequest(Buffer.from(JSON.stringify(o)));

  it('parses a version-1 request', () => {
    expect(parse(good)).toEqual({
      argv: ['ps', '-a'],
      env: { HOME: '/root' },
      cwd: '/tmp',
      tty: [false, true, true],
      cols: 80,
      rows: 24,
    });
  });

  it.each([
    ['not JSON', '{', /not JSON/],
    ['another version', { ...good, v: 2 }, /version 1/],
    ['argv with a number', { ...good, argv: ['ps', 1] }, /argv/],
    ['env with a number', { ...good, env: { A: 1 } }, /env\.A/],
    ['a relative cwd', { ...good, cwd: 'tmp' }, /cwd/],
    ['two tty flags', { ...good, tty: [true, true] }, /tty/],
    ['negative cols', { ...good, cols: -1 }, /cols/],
  ])('rejects %s', (_what, value, message) => {
    const payload = Buffer.from(typeof value === 'string' ? value : JSON.stringify(value));
    expect(() => parseRequest(payload)).toThrow(
      expect.objectContaining({ code: 'InvalidArgument', message: expect.stringMatching(message) }),
    );
  });
});
