import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  Server,
  ServerCredentials,
  ServerInterceptingCall,
  status,
  type ServerInterceptor,
  type ServiceError,
} from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GrpcSystemService, clientChannel, systemV1 } from '../../src/grpc/index.js';

/** Holds every status the server sends for `ms` after its handler answered (the trailers' late write, made long). */
const holdStatus =
  (ms: number): ServerInterceptor =>
  (_method, call) =>
    new ServerInterceptingCall(call, {
      sendStatus: (s, next) => {
        setTimeout(() => next(s), ms);
      },
    });

describe('answerOnMessage: a unary call ends with its answer', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tscr-test-answer-'));
  const address = `unix://${join(dir, 'sock')}`;
  const server = new Server({ interceptors: [holdStatus(400)] });
  let pings = 0;

  beforeAll(async () => {
    server.addService(systemV1.SystemService, {
      ping: (_call: unknown, cb: (e: unknown, v?: unknown) => void) => {
        pings += 1;
        if (pings === 2) cb(Object.assign(new Error('gone'), { code: status.NOT_FOUND, details: 'no such thing' }));
        else cb(null, {});
      },
    } as never);
    await new Promise<void>((resolve, reject) =>
      server.bindAsync(address, ServerCredentials.createInsecure(), (err) => (err ? reject(err) : resolve())),
    );
  });
  afterAll(() => {
    server.forceShutdown();
    rmSync(dir, { recursive: true, force: true });
  });

  it('resolves when the message arrives, not when the held status does', async () => {
    const client = new GrpcSystemService(address);
    const t0 = performance.now();
    await client.ping();
    expect(performance.now() - t0).toBeLessThan(300);
  });

  it('still waits for an error status, and its code and details survive', async () => {
    const ch = clientChannel(address);
    const client = new systemV1.SystemClient(ch.target, ch.credentials, ch.options);
    const t0 = performance.now();
    const err = await new Promise<ServiceError | null>((resolve) =>
      client.ping({}, (e: ServiceError | null) => resolve(e)),
    );
    expect(performance.now() - t0).toBeGreaterThanOrEqual(350);
    expect(err).toMatchObject({ code: status.NOT_FOUND, details: 'no such thing' });
    client.close();
  });

  it('every client channel carries it', () => {
    expect(clientChannel('unix:///x').options.interceptors).toHaveLength(1);
  });

  it('a generated client without it waits for the status', async () => {
    const ch = clientChannel(address);
    const bare = new systemV1.SystemClient(ch.target, ch.credentials);
    const t0 = performance.now();
    await new Promise<void>((resolve, reject) =>
      bare.ping({}, (err: ServiceError | null) => (err ? reject(err) : resolve())),
    );
    expect(performance.now() - t0).toBeGreaterThanOrEqual(350);
    bare.close();
  });
});
