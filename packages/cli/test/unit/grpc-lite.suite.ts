import { readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { type PeerCertificate, checkServerIdentity } from 'node:tls';
import type { Duplex } from 'node:stream';
import { Server, ServerInterceptingCall, type ServerDuplexStream } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorCode, notFound, type SystemService, type TscrError } from '@tscr/api';
import { addSystemService, callServerStream, callUnary, fromStatus, listen, systemV1, toStatus } from '@tscr/api/grpc';
import { hasCommand, makeTempDir } from '@tscr/testkit';
import { makeCertSet } from '../../src/certs.js';
import { Metadata, credentials, makeGenericClientConstructor } from '../../src/wire/grpc-lite.js';
import { FakeSystem } from '../fixtures/fakes.js';

// What the bin's bundle uses for grpc-js (see tsup.config.ts): generated clients whose calls go over the CLI's own
// HTTP/2 client (or node:http2 with TSCR_WIRE=node-http2), here against grpc-js's own server, as the daemon runs it.
// grpc-lite.test.ts and grpc-lite-node-http2.test.ts run this suite, one per wire (each file has its own modules).
const SystemClient = makeGenericClientConstructor(
  systemV1.SystemService as never,
  'tscr.system.v1.System',
) as unknown as new (
  target: string,
  creds: unknown,
  options?: Record<string, unknown>,
) => systemV1.SystemClient;

class Failing extends FakeSystem {
  override async ping(): Promise<void> {
    throw notFound('no such thing: é "x"', { details: { ref: 'x, y' } });
  }
}

async function serve(impl: SystemService, address: string, tls?: Parameters<typeof listen>[2]) {
  const server = new Server();
  addSystemService(server, impl);
  const bound = await listen(server, address, tls);
  return { server, bound };
}

/** The suite, over the wire `TSCR_WIRE` selects (`undefined`: the CLI's own HTTP/2 client). */
export function liteClientSuite(wire: 'node-http2' | undefined): void {
  describe(`the bundle’s lean gRPC client (${wire ?? 'own HTTP/2 client'})`, () => {
    let dir: string;
    let server: Server;
    let target: string;
    const system = new Failing();
    const saved = process.env.TSCR_WIRE;
    beforeAll(async () => {
      if (wire) process.env.TSCR_WIRE = wire;
      else delete process.env.TSCR_WIRE;
      dir = await makeTempDir('grpc-lite');
      target = `unix://${join(dir, 'tscr.sock')}`;
      ({ server } = await serve(system, target));
    });
    afterAll(async () => {
      if (saved === undefined) delete process.env.TSCR_WIRE;
      else process.env.TSCR_WIRE = saved;
      server?.forceShutdown();
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    // First: nothing has loaded grpc-js in this module yet.
    it('loads grpc-js only for what it hands over', async () => {
      const marks: string[] = [];
      // Only grpc-js's own mark: the wire marks its phases too (connected, call ended) for the start-up trace.
      (globalThis as { __tscrMark?: (n: string) => void }).__tscrMark = (n) => {
        if (n === 'grpc-js loaded') marks.push(n);
      };
      try {
        const client = new SystemClient(target, credentials.createInsecure());
        await callUnary((cb) => client.info({}, cb), {}, target);
        const events = client.events({ types: [], since: '', until: '', filters: [] }) as unknown as { cancel(): void };
        events.cancel();
        client.close();
        expect(marks).toEqual([]);
        expect(new Metadata().get('x')).toEqual([]);
        expect(marks).toEqual(['grpc-js loaded']);
      } finally {
        delete (globalThis as { __tscrMark?: unknown }).__tscrMark;
      }
    });

    it('makes a unary call and decodes the answer', async () => {
      const client = new SystemClient(target, credentials.createInsecure());
      try {
        const res = await callUnary<systemV1.VersionResponse>((cb) => client.version({}, cb), {}, target);
        expect(res).toMatchObject({ version: '0.1.0', kernelVersion: '6.1.0-fake', runtime: 'runc' });
        // A second client of the same target shares the connection and still works after the first closes.
        const other = new SystemClient(target, credentials.createInsecure());
        client.close();
        await callUnary((cb) => other.info({}, cb), {}, target);
        other.close();
      } finally {
        client.close();
      }
    });

    it('ends a unary call with its answer, not with the status trailers that follow it', async () => {
      // A server that holds every status 400 ms after its handler answered (the trailers' late write, made long).
      const held = new Server({
        interceptors: [
          (_method, call) =>
            new ServerInterceptingCall(call, { sendStatus: (s, next) => void setTimeout(() => next(s), 400) }),
        ],
      });
      addSystemService(held, system);
      const heldTarget = `unix://${join(dir, 'held.sock')}`;
      await listen(held, heldTarget);
      const client = new SystemClient(heldTarget, credentials.createInsecure());
      try {
        let t0 = performance.now();
        await callUnary((cb) => client.version({}, cb), {}, heldTarget);
        expect(performance.now() - t0).toBeLessThan(300);
        t0 = performance.now();
        const err = await callUnary((cb) => client.ping({}, cb), {}, heldTarget).catch((e: TscrError) => e);
        expect(performance.now() - t0).toBeGreaterThanOrEqual(350); // an error status comes alone: waited for
        expect(errorCode(err)).toBe('NotFound');
      } finally {
        client.close();
        held.forceShutdown();
      }
    });

    it('brings a TscrError back with its code, message and details', async () => {
      const client = new SystemClient(target, credentials.createInsecure());
      const err = await callUnary((cb) => client.ping({}, cb), {}, target).catch((e: TscrError) => e);
      client.close();
      expect(errorCode(err)).toBe('NotFound');
      expect((err as TscrError).message).toBe('no such thing: é "x"');
      expect((err as TscrError).details).toEqual({ ref: 'x, y' });
    });

    it('streams answers, and ends a call the client cancels', async () => {
      const client = new SystemClient(target, credentials.createInsecure());
      const it = callServerStream<systemV1.EventsResponse>(
        () => client.events({ types: [], since: '', until: '', filters: [] }),
        {},
        target,
      );
      const first = it.next();
      while (system.subscribers === 0) await new Promise((r) => setTimeout(r, 5));
      system.emit({ type: 'container', action: 'start', id: 'c1', attributes: {} });
      // First the "subscribed" message, then the event.
      expect((await first).value).toEqual({});
      expect(((await it.next()).value as systemV1.EventsResponse).event).toMatchObject({ action: 'start', id: 'c1' });
      await it.return(undefined);
      client.close();
    });

    it('reports a daemon that is not there as Unavailable naming the address', async () => {
      const gone = `unix://${join(dir, 'none.sock')}`;
      const client = new SystemClient(gone, credentials.createInsecure());
      const err = await callUnary((cb) => client.version({}, cb), {}, gone).catch((e: unknown) => fromStatus(e, gone));
      client.close();
      expect(errorCode(err)).toBe('Unavailable');
      expect((err as TscrError).details.address).toBe(gone);
    });

    it('keeps the channel’s limit on answers and can be cancelled', async () => {
      const small = new SystemClient(target, credentials.createInsecure(), { 'grpc.max_receive_message_length': 10 });
      const err = await callUnary((cb) => small.version({}, cb), {}, target).catch((e: unknown) => e);
      expect(errorCode(err)).toBe('ResourceExhausted');
      const ac = new AbortController();
      const pending = callUnary((cb) => small.info({}, cb), { signal: ac.signal }, target).catch((e: unknown) => e);
      ac.abort();
      expect(errorCode(await pending)).toBe('Cancelled');
      small.close();
    });

    it.skipIf(!hasCommand('openssl'))(
      'speaks mutual TLS, checking the daemon’s certificate against its IP',
      async () => {
        const certs = join(dir, 'certs');
        makeCertSet({ dir: certs, hosts: [], clients: [] });
        const pem = (f: string) => readFileSync(join(certs, f));
        const tls = { ca: pem('ca.pem'), cert: pem('server-cert.pem'), key: pem('server-key.pem') };
        const secure = await serve(new FakeSystem(), '127.0.0.1:0', { tls });
        try {
          const addr = secure.bound.replace(/^tcp:\/\//, '');
          const verify = {
            checkServerIdentity: (_n: string, c: PeerCertificate) => checkServerIdentity('127.0.0.1', c),
          };
          const creds = credentials.createSsl(pem('ca.pem'), pem('key.pem'), pem('cert.pem'), verify);
          const client = new SystemClient(addr, creds, { 'grpc.ssl_target_name_override': 'tscr-daemon' });
          const res = await callUnary<systemV1.VersionResponse>((cb) => client.version({}, cb), {}, addr);
          expect(res.version).toBe('0.1.0');
          client.close();
          // A client without a certificate the daemon trusts is refused.
          const bare = new SystemClient(addr, credentials.createSsl(pem('ca.pem'), null, null, verify), {
            'grpc.ssl_target_name_override': 'tscr-daemon',
          });
          const err = await callUnary((cb) => bare.version({}, cb), {}, addr).catch((e: unknown) => e);
          expect(errorCode(err)).toBe('Unavailable');
          bare.close();
        } finally {
          secure.server.forceShutdown();
        }
      },
    );

    it('opens a new connection when the daemon restarted (a long-lived client, as the CLI host keeps)', async () => {
      const address = `unix://${join(dir, 'restart.sock')}`;
      let restarting = await serve(new FakeSystem(), address);
      const client = new SystemClient(address, credentials.createInsecure());
      try {
        await callUnary((cb) => client.info({}, cb), {}, address);
        restarting.server.forceShutdown();
        await new Promise((r) => setTimeout(r, 50));
        restarting = await serve(new FakeSystem(), address);
        const info = await callUnary<{ name: string }>((cb) => client.info({}, cb), {}, address);
        expect(typeof info.name).toBe('string');
      } finally {
        client.close();
        restarting.server.forceShutdown();
      }
    });

    it('ends a bidirectional call when the daemon has answered, while requests are still open', async () => {
      const json = {
        serialize: (v: unknown) => Buffer.from(JSON.stringify(v)),
        parse: (b: Buffer) => JSON.parse(String(b)),
      };
      const chat = {
        path: '/tscr.test.v1.Echo/Chat',
        requestStream: true,
        responseStream: true,
        requestSerialize: json.serialize,
        requestDeserialize: json.parse,
        responseSerialize: json.serialize,
        responseDeserialize: json.parse,
      };
      const echo = new Server();
      echo.addService(
        { chat } as never,
        {
          chat: (call: ServerDuplexStream<{ n: number }, { n: number }>) => {
            call.once('data', (m: { n: number }) => {
              if (m.n < 0) call.emit('error', Object.assign(new Error(), toStatus(notFound('no such n'))));
              else {
                call.write({ n: m.n + 1 });
                call.end();
              }
            });
          },
        } as never,
      );
      const address = await listen(echo, `unix://${join(dir, 'echo.sock')}`);
      try {
        const Echo = makeGenericClientConstructor({ chat } as never, 'Echo') as unknown as new (
          t: string,
          c: unknown,
        ) => { chat(): Duplex & { cancel(): void }; close(): void };
        const client = new Echo(address, credentials.createInsecure());
        const call = client.chat();
        call.write({ n: 1 });
        const answers: unknown[] = [];
        for await (const m of call) answers.push(m);
        expect(answers).toEqual([{ n: 2 }]);
        call.cancel();
        const failing = client.chat();
        failing.write({ n: -1 });
        const err = await (async () => {
          for await (const _ of failing) return undefined;
        })().catch((e: unknown) => fromStatus(e, address));
        expect(errorCode(err)).toBe('NotFound');
        client.close();
      } finally {
        echo.forceShutdown();
      }
    });
  });
}
