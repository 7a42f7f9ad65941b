import { describe, expect, it } from 'vitest';
import { errorCode } from '@tscr/api';
import { OutputChannel } from '../../src/local/attach-channel.js';
import { checkSize } from '../../src/local/console-relay.js';
import { findRelay } from '../../src/local/relay.js';

describe('OutputChannel', () => {
  it('makes producers wait while it is full, and wakes them as the consumer reads', async () => {
    const ch = new OutputChannel(2);
    const chunk = (s: string) => ({ stream: 'stdout' as const, data: Buffer.from(s) });
    expect(await ch.push(chunk('a'))).toBe(true);
    expect(await ch.push(chunk('b'))).toBe(true);
    let third = false;
    const pushing = ch.push(chunk('c')).then((ok) => {
      third = ok;
    });
    await new Promise((r) => setImmediate(r));
    expect(third).toBe(false); // still waiting for room
    const it = ch[Symbol.asyncIterator]();
    expect(Buffer.from((await it.next()).value!.data).toString()).toBe('a');
    await pushing;
    expect(third).toBe(true);
    ch.close();
    const rest: string[] = [];
    for (let r = await it.next(); !r.done; r = await it.next()) rest.push(Buffer.from(r.value.data).toString());
    expect(rest).toEqual(['b', 'c']);
  });

  it('tells producers when the consumer has gone, and delivers a failure after the data', async () => {
    let cancelled = 0;
    const ch = new OutputChannel(1, () => cancelled++);
    await ch.push({ stream: 'stderr', data: Buffer.from('x') });
    const waiting = ch.push({ stream: 'stderr', data: Buffer.from('y') });
    await ch[Symbol.asyncIterator]().return!();
    expect(await waiting).toBe(false);
    expect(cancelled).toBe(1);
    const failing = new OutputChannel(4);
    await failing.push({ stream: 'stdout', data: Buffer.from('z') });
    failing.close(new Error('broken'));
    const it = failing[Symbol.asyncIterator]();
    expect((await it.next()).done).toBe(false);
    await expect(it.next()).rejects.toThrow('broken');
  });
});

describe('relay and sizes', () => {
  it('names where it looked when the relay is missing', async () => {
    const err = await findRelay('/nonexistent/tscr-relay').catch((e: unknown) => e);
    expect(errorCode(err)).toBe('FailedPrecondition');
    const message = String((err as Error).message);
    expect(message).toMatch(/\/nonexistent\/tscr-relay/);
    // It says exactly what to do: the compile command (with this package's paths), relayPath, TSCR_RELAY.
    expect(message).toMatch(/cc -O2 -o \S+\/native\/build\/tscr-relay \S+\/native\/relay\/\*\.c/);
    expect(message).toMatch(/`relayPath`/);
    expect(message).toMatch(/TSCR_RELAY/);
  });

  it('rejects terminal sizes outside 1..65535', () => {
    expect(() => checkSize({ width: 80, height: 24 })).not.toThrow();
    for (const s of [
      { width: 0, height: 24 },
      { width: 80, height: 70000 },
      { width: 1.5, height: 2 },
    ])
      expect(() => checkSize(s)).toThrow(/invalid terminal size/);
  });
});
