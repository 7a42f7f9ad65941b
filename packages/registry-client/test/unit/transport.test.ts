import { describe, expect, it } from 'vitest';
import { unavailable } from '@tscr/api';
import { createLimiter, withRetries, type HttpResponse, type HttpTransport } from '@tscr/registry-client/local';

const response = (status: number): HttpResponse => ({
  status,
  url: 'http://x/',
  header: () => undefined,
  body: (async function* () {})(),
  discard: () => {},
});

describe('withRetries', () => {
  it('retries 5xx and reset connections, then returns the answer', async () => {
    const script: Array<number | Error> = [503, unavailable('reset', { details: { errno: 'ECONNRESET' } }), 200];
    let calls = 0;
    const inner: HttpTransport = {
      async send() {
        const next = script[calls++]!;
        if (next instanceof Error) throw next;
        return response(next);
      },
    };
    const res = await withRetries(inner, { baseDelayMs: 1 }).send({ method: 'GET', url: 'http://x/' });
    expect(res.status).toBe(200);
    expect(calls).toBe(3);
  });

  it('does not retry 4xx, refused connections, or streamed bodies', async () => {
    let calls = 0;
    const refuse: HttpTransport = {
      async send() {
        calls++;
        throw unavailable('refused', { details: { errno: 'ECONNREFUSED' } });
      },
    };
    await expect(withRetries(refuse, { baseDelayMs: 1 }).send({ method: 'GET', url: 'http://x/' })).rejects.toThrow(
      'refused',
    );
    expect(calls).toBe(1);
    let puts = 0;
    const failing: HttpTransport = {
      async send() {
        puts++;
        return response(500);
      },
    };
    const stream = (async function* () {
      yield Buffer.from('x');
    })();
    expect(
      (await withRetries(failing, { baseDelayMs: 1 }).send({ method: 'PUT', url: 'http://x/', body: stream })).status,
    ).toBe(500);
    expect(puts).toBe(1);
    expect(
      (await withRetries(failing, { baseDelayMs: 1, retries: 2 }).send({ method: 'GET', url: 'http://x/' })).status,
    ).toBe(500);
    expect(puts).toBe(4);
  });
});

describe('createLimiter', () => {
  it('never runs more than n tasks at once', async () => {
    const limiter = createLimiter(2);
    let running = 0;
    let peak = 0;
    const task = async (i: number) => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((r) => setTimeout(r, 5));
      running--;
      return i;
    };
    const results = await Promise.all([1, 2, 3, 4, 5, 6].map((i) => limiter.run(() => task(i))));
    expect(results).toEqual([1, 2, 3, 4, 5, 6]);
    expect(peak).toBe(2);
  });
});
