import { describe, expect, it } from 'vitest';
import { HpackDecoder, HpackError, encodeHeaders, huffmanDecode } from '../../src/wire/h2/hpack.js';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

describe('HPACK', () => {
  it('decodes Huffman-coded strings and rejects bad padding and EOS', () => {
    // RFC 7541 C.4.1: "www.example.com".
    expect(huffmanDecode(hex('f1e3 c2e5 f23a 6ba0 ab90 f4ff')).toString()).toBe('www.example.com');
    // "no-cache" (C.4.2) and "custom-value" (C.4.3).
    expect(huffmanDecode(hex('a8eb 1064 9cbf')).toString()).toBe('no-cache');
    expect(huffmanDecode(hex('25a8 49e9 5bb8 e8b4 bf')).toString()).toBe('custom-value');
    expect(huffmanDecode(Buffer.alloc(0)).length).toBe(0);
    // Padding of zero bits, and padding longer than 7 bits.
    expect(() => huffmanDecode(hex('f1e3 c2e5 f23a 6ba0 ab90 f4fe'))).toThrow(HpackError);
    expect(() => huffmanDecode(hex('ff'))).toThrow(HpackError);
    // EOS itself (30 one-bits) inside a string.
    expect(() => huffmanDecode(hex('ffff ffff'))).toThrow(HpackError);
  });

  it('decodes the RFC’s request sequence with its dynamic table', () => {
    const d = new HpackDecoder();
    // RFC 7541 C.4.1–C.4.3 (Huffman-coded requests on one connection).
    expect(d.decode(hex('8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff'))).toEqual([
      [':method', 'GET'],
      [':scheme', 'http'],
      [':path', '/'],
      [':authority', 'www.example.com'],
    ]);
    expect(d.decode(hex('8286 84be 5886 a8eb 1064 9cbf'))).toEqual([
      [':method', 'GET'],
      [':scheme', 'http'],
      [':path', '/'],
      [':authority', 'www.example.com'],
      ['cache-control', 'no-cache'],
    ]);
    expect(d.decode(hex('8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf'))).toEqual([
      [':method', 'GET'],
      [':scheme', 'https'],
      [':path', '/index.html'],
      [':authority', 'www.example.com'],
      ['custom-key', 'custom-value'],
    ]);
  });

  it('evicts old entries, honours table size updates and refuses what it did not allow', () => {
    const d = new HpackDecoder(4096);
    // Literal with incremental indexing, new name "k", 4040 chars: fits (4040 + 1 + 32 <= 4096), not beside another.
    const big = 'v'.repeat(4040);
    const lit = (name: string, value: string) =>
      Buffer.concat([Buffer.from([0x40]), encodeString(name), encodeString(value)]);
    expect(d.decode(lit('k', big))).toEqual([['k', big]]);
    expect(d.decode(hex('be'))).toEqual([['k', big]]);
    // A second entry evicts the first: index 62 is now the new one, 63 does not exist.
    expect(d.decode(lit('j', 'x'))).toEqual([['j', 'x']]);
    expect(d.decode(hex('be'))).toEqual([['j', 'x']]);
    expect(() => d.decode(hex('bf'))).toThrow(HpackError);
    // A size update to 0 empties the table; one above the limit is an error; one after a field too.
    expect(d.decode(hex('20'))).toEqual([]);
    expect(() => d.decode(hex('be'))).toThrow(HpackError);
    expect(() => d.decode(hex('3fe2 1f'))).toThrow(HpackError);
    expect(() => d.decode(hex('82 20'))).toThrow(HpackError);
    // Index 0, truncated strings and integers.
    expect(() => d.decode(hex('80'))).toThrow(HpackError);
    expect(() => d.decode(hex('0003 6162'))).toThrow(HpackError);
    expect(() => d.decode(hex('ff'))).toThrow(HpackError);
  });

  it('encodes requests without indexing, which a decoder reads back', () => {
    const fields: Array<[string, string]> = [
      [':method', 'POST'],
      [':scheme', 'http'],
      [':authority', 'localhost'],
      [':path', '/tscr.system.v1.System/Version'],
      ['content-type', 'application/grpc'],
      ['te', 'trailers'],
      ['x-long', 'y'.repeat(300)],
    ];
    const block = encodeHeaders(fields);
    // POST and http are whole static entries: one byte each.
    expect([...block.subarray(0, 2)]).toEqual([0x83, 0x86]);
    expect(new HpackDecoder().decode(block)).toEqual(fields);
  });
});

function encodeString(text: string): Buffer {
  const bytes = Buffer.from(text, 'latin1');
  const len: number[] = [];
  if (bytes.length < 127) len.push(bytes.length);
  else {
    len.push(127);
    let rest = bytes.length - 127;
    while (rest >= 128) {
      len.push((rest % 128) | 128);
      rest = Math.floor(rest / 128);
    }
    len.push(rest);
  }
  return Buffer.concat([Buffer.from(len), bytes]);
}
