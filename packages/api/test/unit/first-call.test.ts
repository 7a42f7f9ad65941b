import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Server } from '@grpc/grpc-js';
import { HTTP2_PREFACE as PREFACE, trickle } from '@tscr/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventsOptions, SystemService, TscrEvent } from '../../src/index.js';
import { GrpcSystemService, addSystemService, listen } from '../../src/grpc/index.js';

const DEADLINE_MS = 600;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A system service whose events are whatever `publish` is given. */
function fakeSystem() {
  const subscribers = new Set<(e: TscrEvent) => void>();
  const service: SystemService = {
    ping: async () => undefined,
    version: () => Promise.reject(new Error('not in this test')),
    info: () => Promise.reject(new Error('not in this test')),
    async *events(opts: EventsOptions = {}) {
      const queue: TscrEvent[] = [];
      let wake: (() => void) | undefined;
      const push = (e: TscrEvent) => {
        queue.push(e);
        wake?.();
      };
      subscribers.add(push);
      opts.onSubscribed?.();
      try {
        while (!opts.signal?.aborted) {
          const e = queue.shift();
          if (e) yield e;
          else await new Promise<void>((r) => (wake = r));
        }
      } finally {
        subscribers.delete(push);
      }
    },
  };
  const publish = (action: string) => {
    for (const s of subscribers) s({ type: 'daemon', action, id: 'x', attributes: {}, timeNano: '1' });
  };
  return { service, publish };
}

describe('a gRPC connection that does not open its first call in time', () => {
  let dir: string;
  let server: Server;
  let address: string;
  let fake: ReturnType<typeof fakeSystem>;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tscr-test-first-call-'));
    fake = fakeSystem();
    server = new Server();
    addSystemService(server, fake.service);
    address = await listen(server, `unix://${join(dir, 'api.sock')}`, { firstCallTimeoutMs: DEADLINE_MS });
  });

  afterAll(() => {
    server?.forceShutdown();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('is closed after the deadline: a preface a byte every 100 ms, and a client that sends nothing', async () => {
    const path = address.slice('unix://'.length);
    const [slow, silent] = await Promise.all([trickle(path, PREFACE, 100), trickle(path, Buffer.alloc(0), 100)]);
    for (const c of [slow, silent]) {
      expect(c.heldMs).toBeGreaterThanOrEqual(DEADLINE_MS - 50);
      expect(c.heldMs).toBeLessThan(DEADLINE_MS + 2000);
    }
    expect(slow.sent).toBeLessThan(PREFACE.length); // cut before its preface was even complete
  });

  it('leaves alone a client idle between calls and a stream with nothing to say for longer than the deadline', async () => {
    const client = new GrpcSystemService(address);
    try {
      await client.ping();
      const ac = new AbortController();
      const events = client.events({ signal: ac.signal })[Symbol.asyncIterator]();
      const first = events.next();
      await sleep(DEADLINE_MS * 3); // the stream is quiet, the connection idle
      fake.publish('late');
      expect((await first).value?.action).toBe('late');
      await client.ping();
      ac.abort();
      await sleep(DEADLINE_MS * 2); // idle after its calls: still one connection, still served
      await client.ping();
    } finally {
      client.close();
    }
  });
});
