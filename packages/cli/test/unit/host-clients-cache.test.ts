import { describe, expect, it } from 'vitest';
import type { DaemonTarget } from '@tscr/api/grpc';
import type { Clients } from '../../src/client.js';
import { ClientsCache } from '../../src/host/clients-cache.js';

/** Clients whose `system()` is a counter, and which count their own making and closing. */
function fakeClients(made: string[], closed: string[]) {
  return (target: DaemonTarget): Clients => {
    made.push(target.address);
    const system = { calls: 0, ping: async () => ++system.calls, name: 'fake' };
    const none = () => Promise.reject(new Error('not in this fake'));
    return {
      system: async () => system as never,
      containers: none,
      images: none,
      registry: none,
      volumes: none,
      networks: none,
      close: () => closed.push(target.address),
    };
  };
}

describe("the CLI host's clients cache", () => {
  it('makes one set of clients per daemon address and shares it between requests', async () => {
    const made: string[] = [];
    const cache = new ClientsCache(fakeClients(made, []));
    const a = cache.forRequest({ address: 'unix:///a.sock' }, { ended: false });
    const b = cache.forRequest({ address: 'unix:///a.sock' }, { ended: false });
    cache.forRequest({ address: 'unix:///b.sock' }, { ended: false });
    expect(made).toEqual(['unix:///a.sock', 'unix:///b.sock']);
    expect(cache.size).toBe(2);
    const sa = (await a.system()) as unknown as { ping(): Promise<number>; name: string };
    const sb = (await b.system()) as unknown as { ping(): Promise<number> };
    expect(await sa.ping()).toBe(1);
    expect(await sb.ping()).toBe(2);
    expect(sa.name).toBe('fake');
  });

  it("ignores a request's close, and closes everything at closeAll", () => {
    const closed: string[] = [];
    const cache = new ClientsCache(fakeClients([], closed));
    cache.forRequest({ address: 'unix:///a.sock' }, { ended: false }).close();
    expect(closed).toEqual([]);
    cache.closeAll();
    expect(closed).toEqual(['unix:///a.sock']);
    expect(cache.size).toBe(0);
  });

  it('fails the calls of a request that has ended with Cancelled, not those of the others', async () => {
    const cache = new ClientsCache(fakeClients([], []));
    const life = { ended: false };
    const gone = cache.forRequest({ address: 'unix:///a.sock' }, life);
    const alive = cache.forRequest({ address: 'unix:///a.sock' }, { ended: false });
    const system = (await gone.system()) as unknown as { ping(): Promise<number> };
    expect(await system.ping()).toBe(1);
    life.ended = true;
    expect(() => system.ping()).toThrow(expect.objectContaining({ code: 'Cancelled' }));
    expect(await ((await alive.system()) as unknown as { ping(): Promise<number> }).ping()).toBe(2);
  });
});
