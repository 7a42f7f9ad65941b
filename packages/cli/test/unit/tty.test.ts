import { describe, expect, it } from 'vitest';
import { DetachScanner, parseDetachKeys, readInput } from '../../src/commands/tty.js';

describe('detach keys', () => {
  it("parses docker's format", () => {
    expect([...parseDetachKeys('ctrl-p,ctrl-q')]).toEqual([16, 17]);
    expect([...parseDetachKeys('ctrl-@,ctrl-[,ctrl-\\,ctrl-],ctrl-^,ctrl-_')]).toEqual([0, 27, 28, 29, 30, 31]);
    expect([...parseDetachKeys('a,ctrl-A')]).toEqual([97, 1]);
    for (const bad of ['', 'ctrl-', 'ctrl-1', 'ab', 'ctrl-p,'])
      expect(() => parseDetachKeys(bad)).toThrow(/detach keys/);
  });

  it('holds a partial sequence back and sends it on when it breaks', () => {
    const s = new DetachScanner(parseDetachKeys('ctrl-p,ctrl-q'));
    expect(s.feed(Buffer.from('ab\x10'))).toEqual({ data: Uint8Array.from(Buffer.from('ab')), detach: false });
    expect(s.feed(Buffer.from('c'))).toEqual({ data: Uint8Array.from([16, 99]), detach: false });
    expect(s.feed(Buffer.from('\x10\x10'))).toEqual({ data: Uint8Array.from([16]), detach: false });
    expect(s.feed(Buffer.from('\x11after'))).toEqual({ data: Uint8Array.from([]), detach: true });
  });

  it('readInput ends at the keys (calling onDetach) or at EOF', async () => {
    const { PassThrough } = await import('node:stream');
    const input = new PassThrough();
    let detached = false;
    const chunks: string[] = [];
    const reading = (async () => {
      for await (const c of readInput(input, {
        scanner: new DetachScanner(parseDetachKeys('ctrl-x')),
        onDetach: () => {
          detached = true;
        },
        signal: new AbortController().signal,
      }))
        chunks.push(Buffer.from(c).toString());
    })();
    input.write('hi\x18rest');
    await reading;
    expect({ chunks, detached }).toEqual({ chunks: ['hi'], detached: true });
    const piped = new PassThrough();
    piped.end('a\x18b');
    const all: string[] = [];
    for await (const c of readInput(piped, { signal: new AbortController().signal }))
      all.push(Buffer.from(c).toString());
    expect(all.join('')).toBe('a\x18b');
  });
});
