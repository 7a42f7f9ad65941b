import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Server, type ServiceDefinition, type UntypedServiceImplementation } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listen } from '@tscr/api/grpc';
import { makeTempDir } from '@tscr/testkit';
import { credentials, makeGenericClientConstructor } from '../../src/wire/grpc-lite.js';

// The generated client classes get one method per RPC on top of the lean client's own methods: an RPC named like
// one of those (Networks has a Connect) must not replace it. It once did: every call of the Networks client went
// to `connect` with no arguments, and `tscr network ls` failed with grpc-js's "Incorrect arguments passed".
const unary = (rpc: string) => ({
  path: `/tscr.test.Names/${rpc}`,
  requestStream: false,
  responseStream: false,
  requestSerialize: (s: unknown) => Buffer.from(String(s)),
  requestDeserialize: (b: Buffer) => b.toString(),
  responseSerialize: (s: unknown) => Buffer.from(String(s)),
  responseDeserialize: (b: Buffer) => b.toString(),
  originalName: rpc,
});
const methods = { connect: unary('Connect'), list: unary('List') };

type NamesClient = {
  connect(req: string, cb: (err: Error | null, res?: string) => void): void;
  list(req: string, cb: (err: Error | null, res?: string) => void): void;
  close(): void;
};

describe('the lean gRPC client’s generated classes', () => {
  let dir: string;
  let server: Server;
  let target: string;
  beforeAll(async () => {
    dir = await makeTempDir('grpc-lite-names');
    target = `unix://${join(dir, 'names.sock')}`;
    server = new Server();
    const impl: UntypedServiceImplementation = {
      connect: (call: { request: string }, cb: (e: null, r: string) => void) => cb(null, `connected ${call.request}`),
      list: (call: { request: string }, cb: (e: null, r: string) => void) => cb(null, `listed ${call.request}`),
    };
    server.addService(methods as unknown as ServiceDefinition, impl);
    await listen(server, target);
  });
  afterAll(async () => {
    server?.forceShutdown();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('keep their own calls working when an RPC is named connect', async () => {
    const Client = makeGenericClientConstructor(methods as never, 'tscr.test.Names') as unknown as new (
      target: string,
      creds: unknown,
    ) => NamesClient;
    const client = new Client(target, credentials.createInsecure());
    const call = (rpc: 'connect' | 'list', req: string) =>
      new Promise<string | undefined>((resolve, reject) =>
        client[rpc](req, (err, res) => (err ? reject(err) : resolve(res))),
      );
    try {
      expect(await call('list', 'a')).toBe('listed a');
      expect(await call('connect', 'b')).toBe('connected b');
      expect(await call('list', 'c')).toBe('listed c');
    } finally {
      client.close();
    }
  });

  it('refuse an RPC named like one of the client’s own methods', () => {
    expect(() => makeGenericClientConstructor({ liteUnary: unary('LiteUnary') } as never, 'tscr.test.Bad')).toThrow(
      /tscr\.test\.Bad: the RPC liteUnary has the name of a method of the client itself/,
    );
  });
});
