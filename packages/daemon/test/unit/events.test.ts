import { describe, expect, it } from 'vitest';
import { EventBus } from '@tscr/daemon/local';
import type { TscrEvent } from '@tscr/api';

const ev = (type: string, action: string) => ({ type, action, id: 'x', attributes: {} });

describe('EventBus', () => {
  it('fans out to subscribers, filtered by type, stamped with the time', async () => {
    const bus = new EventBus();
    const ac = new AbortController();
    const all = bus.subscribe({ signal: ac.signal })[Symbol.asyncIterator]();
    const images = bus.subscribe({ types: ['image'] })[Symbol.asyncIterator]();
    bus.publish(ev('container', 'start'));
    bus.publish(ev('image', 'import'));
    expect((await all.next()).value).toMatchObject({ type: 'container', action: 'start' });
    const second = (await all.next()).value as TscrEvent;
    expect(second.action).toBe('import');
    expect(BigInt(second.timeNano)).toBeGreaterThan(BigInt(Date.now() - 10_000) * 1_000_000n);
    expect((await images.next()).value).toMatchObject({ type: 'image', action: 'import' });
    ac.abort();
    await expect(all.next()).rejects.toMatchObject({ code: 'Cancelled' });
    await images.return?.();
    expect(bus.subscriberCount).toBe(0);
  });

  it('cuts off a subscriber that falls too far behind', async () => {
    const bus = new EventBus(3);
    const slow = bus.subscribe()[Symbol.asyncIterator]();
    for (let i = 0; i < 5; i++) bus.publish(ev('container', `a${i}`));
    await expect(slow.next()).rejects.toMatchObject({ code: 'ResourceExhausted' });
    expect(bus.subscriberCount).toBe(0);
  });
});
