import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { TscrEvent } from '@tscr/api';
import { eventMatcher, parseEventTime } from '@tscr/daemon';
import { EventBus, SqliteEventLog } from '@tscr/daemon/local';

const ev = (type: string, action: string, id = 'x', attributes: Record<string, string> = {}) => ({
  type,
  action,
  id,
  attributes,
});

async function take(it: AsyncIterable<TscrEvent>, n: number): Promise<TscrEvent[]> {
  const out: TscrEvent[] = [];
  for await (const e of it) {
    out.push(e);
    if (out.length === n) break;
  }
  return out;
}

describe('event history and filters', () => {
  it('parses RFC 3339, Unix seconds and durations', () => {
    expect(parseEventTime('2026-11-28T17:00:00Z')).toBe(BigInt(Date.parse('2026-11-28T17:00:00Z')) * 1_000_000n);
    expect(parseEventTime('1700000000.5')).toBe(1_700_000_000_500_000_000n);
    expect(parseEventTime('10m', 1_000_000_000_000n)).toBe(1_000_000_000_000n - 600_000_000_000n);
    expect(parseEventTime('1h30m', 10_000_000_000_000n)).toBe(10_000_000_000_000n - 5_400_000_000_000n);
    expect(() => parseEventTime('yesterday')).toThrow(expect.objectContaining({ code: 'InvalidArgument' }));
  });

  it('matches Docker filters', () => {
    const start = {
      ...ev('container', 'start', 'abcdef', { name: 'web', image: 'busybox', tier: 'front' }),
      timeNano: '1',
    };
    const health = { ...ev('container', 'health_status: healthy', 'abcdef', { name: 'web' }), timeNano: '1' };
    expect(eventMatcher({ container: ['web'] })(start)).toBe(true);
    expect(eventMatcher({ container: ['abc'] })(start)).toBe(true);
    expect(eventMatcher({ container: ['db'] })(start)).toBe(false);
    expect(eventMatcher({ event: ['start', 'die'] })(start)).toBe(true);
    expect(eventMatcher({ event: ['health_status'] })(health)).toBe(true);
    expect(eventMatcher({ label: ['tier=front'] })(start)).toBe(true);
    expect(eventMatcher({ label: ['tier=back'] })(start)).toBe(false);
    expect(eventMatcher({ image: ['busybox'] })(start)).toBe(true);
    expect(eventMatcher({ type: ['image'] })(start)).toBe(false);
    expect(eventMatcher({}, ['container'])(start)).toBe(true);
    expect(() => eventMatcher({ colour: ['red'] })).toThrow(expect.objectContaining({ code: 'InvalidArgument' }));
  });

  it('replays recorded events since a time, then continues live, without repeats', async () => {
    const bus = new EventBus();
    bus.publish(ev('container', 'create', 'a'));
    bus.publish(ev('container', 'start', 'a'));
    bus.publish(ev('image', 'tag', 'i'));
    const stream = bus.subscribe({ since: '1h', filters: { type: ['container'] } });
    const got = take(stream, 3);
    bus.publish(ev('container', 'die', 'a', { exitCode: '0' }));
    expect((await got).map((e) => e.action)).toEqual(['create', 'start', 'die']);
    expect(bus.subscriberCount).toBe(0);
  });

  it('ends at until, and at once after the replay when until is past', async () => {
    const bus = new EventBus();
    bus.publish(ev('container', 'create', 'a'));
    const past = await take(bus.subscribe({ since: '1h', until: '0s' }), 10);
    expect(past.map((e) => e.action)).toEqual(['create']);
    const soon = new Date(Date.now() + 100).toISOString();
    const live = take(bus.subscribe({ until: soon }), 10);
    bus.publish(ev('container', 'start', 'a'));
    expect((await live).map((e) => e.action)).toEqual(['start']);
  });

  it('keeps a bounded history that survives a restart through SQLite', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tscr-test-events-'));
    try {
      const path = join(dir, 'state.db');
      const first = new EventBus(1024, { historySize: 3, log: new SqliteEventLog(path, 5) });
      for (let i = 0; i < 8; i++) first.publish(ev('container', `a${i}`));
      first.close();
      const second = new EventBus(1024, { historySize: 3, log: new SqliteEventLog(path, 5) });
      const replay = await take(second.subscribe({ since: '1h', until: '0s' }), 10);
      expect(replay.map((e) => e.action)).toEqual(['a5', 'a6', 'a7']);
      second.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
