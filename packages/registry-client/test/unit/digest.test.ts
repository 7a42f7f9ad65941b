import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { errorCode } from '@tscr/api';
import { verifyStream } from '@tscr/registry-client';
import { rejection } from '@tscr/testkit';

const data = Buffer.from('hello, registry: some layer bytes');
const desc = { digest: `sha256:${createHash('sha256').update(data).digest('hex')}`, size: data.length };

async function* chunks(parts: Uint8Array[], failAfter?: Error): AsyncGenerator<Uint8Array> {
  for (const p of parts) yield p;
  if (failAfter) throw failAfter;
}

async function collect(s: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const out: Uint8Array[] = [];
  for await (const c of s) out.push(c);
  return Buffer.concat(out);
}

describe('verifyStream', () => {
  it('passes matching content through in any chunking', async () => {
    const got = await collect(
      verifyStream(chunks([data.subarray(0, 5), data.subarray(5, 6), data.subarray(6)]), desc, 'r'),
    );
    expect(got.equals(data)).toBe(true);
  });

  it('raises DataLoss naming the digest that lied on a mismatch', async () => {
    const other = Buffer.from(data);
    other[0] = 0x48;
    const err = await rejection(collect(verifyStream(chunks([other]), desc, 'reg/app@x')));
    expect(errorCode(err)).toBe('DataLoss');
    expect(err.details).toMatchObject({ digest: desc.digest, ref: 'reg/app@x' });
    expect(err.details.actual).toBe(`sha256:${createHash('sha256').update(other).digest('hex')}`);
  });

  it('raises DataLoss on truncation, whether the stream ends or breaks', async () => {
    const short = await rejection(collect(verifyStream(chunks([data.subarray(0, 10)]), desc, 'r')));
    expect(errorCode(short)).toBe('DataLoss');
    expect(short.details.received).toBe('10');
    const broken = await rejection(
      collect(verifyStream(chunks([data.subarray(0, 10)], new Error('reset')), desc, 'r')),
    );
    expect(errorCode(broken)).toBe('DataLoss');
  });

  it('stops reading past the declared size', async () => {
    let pulled = 0;
    async function* endless(): AsyncGenerator<Uint8Array> {
      for (;;) {
        pulled++;
        yield data;
      }
    }
    const err = await rejection(collect(verifyStream(endless(), desc, 'r')));
    expect(errorCode(err)).toBe('DataLoss');
    expect(pulled).toBe(2);
  });

  it('rejects unsupported digests as InvalidArgument', async () => {
    expect(errorCode(await rejection(collect(verifyStream(chunks([data]), { digest: 'md5:abc', size: 1 }, 'r'))))).toBe(
      'InvalidArgument',
    );
  });
});
