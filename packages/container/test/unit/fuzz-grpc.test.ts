/**
 * Fuzz of the gRPC servers: protobuf messages with missing, extra (unknown
 * numbers), wrongly typed and out-of-range fields, sent raw to every unary
 * method of the container (over fakes), runtime (fake), image and volume
 * (local, in a temporary directory) and registry (no store) services on a
 * real server over a temporary UNIX socket.
 * Invariants: a decodable message gets OK or a client-error code (never
 * Internal or Unknown, never a hang); bytes the generated code cannot decode
 * get gRPC's own INTERNAL "Error deserializing request" (as grpc-go answers).
 * The server still answers afterwards.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Client, Server, credentials, type ServiceError } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCodes } from '@tscr/api';
import { containersV1, imagesV1, listen, registryV1, runtimeV1, volumeV1 } from '@tscr/api/grpc';
import { addContainerService } from '@tscr/container/grpc';
import { createLocalImageService } from '@tscr/image/local';
import { addImageService } from '@tscr/image/grpc';
import { createRegistryClient } from '@tscr/registry-client/local';
import { addRegistryService } from '@tscr/registry-client/grpc';
import { addRuntimeService } from '@tscr/runtime/grpc';
import { fc, fuzz, fuzzTimeout, makeTempDir, regression } from '@tscr/testkit';
import { createLocalVolumeService } from '@tscr/volume/local';
import { addVolumeService } from '@tscr/volume/grpc';
import { type FakeStack, fakeStack } from '../fixtures/harness.js';

interface Method {
  path: string;
  requestStream: boolean;
  responseStream: boolean;
  requestDeserialize: (b: Buffer) => unknown;
}

const SERVICES = [
  containersV1.ContainersService,
  runtimeV1.RuntimeService,
  imagesV1.ImagesService,
  volumeV1.VolumesService,
  registryV1.RegistryService,
];
/** Unary methods, but the two that block until a task exits by contract (a fuzzed CreateTask may have started one). */
const UNARY = SERVICES.flatMap((s) => Object.values(s as Record<string, Method>)).filter(
  (m) => !m.requestStream && !m.responseStream && !/\/Wait(Task|Container)$/.test(m.path),
);
/** Codes a client's mistake may earn; Internal and Unknown are the server's own faults. */
const CLIENT_CODES = new Set(
  ErrorCodes.filter((c) => c !== 'Internal' && c !== 'Unknown' && c !== 'DataLoss').map(
    (c) => ErrorCodes.indexOf(c) + 1,
  ),
);

function varint(n: bigint): number[] {
  let v = BigInt.asUintN(64, n);
  const out: number[] = [];
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v) b |= 0x80;
    out.push(b);
  } while (v);
  return out;
}

/** One protobuf field, possibly of a number or wire type the message does not have. */
type Field =
  | { num: number; wire: 0; v: bigint }
  | { num: number; wire: 2; v: Uint8Array }
  | { num: number; wire: 1 | 5; v: Uint8Array };

function encode(fields: Field[]): Buffer {
  const out: number[] = [];
  for (const f of fields) {
    out.push(...varint(BigInt((f.num << 3) | f.wire)));
    if (f.wire === 0) out.push(...varint(f.v));
    else if (f.wire === 2) out.push(...varint(BigInt(f.v.length)), ...f.v);
    else
      out.push(
        ...f.v.subarray(0, f.wire === 1 ? 8 : 4),
        ...new Uint8Array(8).subarray(0, Math.max(0, (f.wire === 1 ? 8 : 4) - f.v.length)),
      );
  }
  return Buffer.from(out);
}

const NUMBERS = [
  0n,
  1n,
  -1n,
  2n ** 31n,
  2n ** 32n,
  2n ** 53n + 1n,
  2n ** 63n - 1n,
  -(2n ** 63n),
  2n ** 64n - 1n,
  65536n,
  300n,
];
const STRINGS = [
  '',
  'x',
  'a'.repeat(64),
  '../../etc',
  '/',
  'busybox',
  'tscr-test-x',
  'UPPER',
  '\u0000',
  '%',
  'sha256:zz',
  'a=b',
  'json',
  '{"a":1}',
  'SIGKILL',
  'bogus',
];
const field = (depth: number): fc.Arbitrary<Field> =>
  fc.oneof(
    fc.record({
      num: fc.integer({ min: 1, max: 20 }),
      wire: fc.constant(0 as const),
      v: fc.oneof(fc.constantFrom(...NUMBERS), fc.bigInt({ min: -(2n ** 63n), max: 2n ** 64n - 1n })),
    }),
    fc.record({
      num: fc.integer({ min: 1, max: 20 }),
      wire: fc.constant(2 as const),
      v: fc.oneof(
        fc.constantFrom(...STRINGS).map((s) => new Uint8Array(Buffer.from(s))),
        depth > 0
          ? fc.array(field(depth - 1), { maxLength: 5 }).map((fs) => new Uint8Array(encode(fs)))
          : fc.constant(new Uint8Array()),
      ),
    }),
    fc.record({
      num: fc.integer({ min: 1, max: 20 }),
      wire: fc.constantFrom(1 as const, 5 as const),
      v: fc.uint8Array({ minLength: 8, maxLength: 8 }),
    }),
    fc.record({ num: fc.integer({ min: 21, max: 2 ** 29 - 1 }), wire: fc.constant(0 as const), v: fc.constant(7n) }),
  );
const message = fc.oneof(
  { weight: 8, arbitrary: fc.array(field(2), { maxLength: 8 }).map(encode) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 40 }).map((a) => Buffer.from(a)) },
);

describe('fuzz: gRPC requests', () => {
  let dir = '';
  let stack: FakeStack;
  let server: Server;
  let client: Client;
  beforeAll(async () => {
    dir = await makeTempDir('grpc-fuzz');
    stack = await fakeStack();
    server = new Server();
    addContainerService(server, stack.service);
    addRuntimeService(server, stack.runtime);
    addImageService(server, createLocalImageService({ root: join(dir, 'images') }));
    addVolumeService(server, createLocalVolumeService({ root: join(dir, 'volumes') }));
    addRegistryService(server, createRegistryClient({ retry: { retries: 0 } }));
    const address = await listen(server, `unix://${join(dir, 'fuzz.sock')}`);
    client = new Client(address, credentials.createInsecure());
  });
  afterAll(async () => {
    client?.close();
    server?.forceShutdown();
    await stack?.cleanup();
    await rm(dir, { recursive: true, force: true });
  });

  function unary(path: string, body: Buffer): Promise<{ code: number; details: string }> {
    return new Promise((resolve) => {
      client.makeUnaryRequest(
        path,
        (b: Buffer) => b,
        (b: Buffer) => b,
        body,
        { deadline: Date.now() + 4000 },
        (err: ServiceError | null) => resolve({ code: err?.code ?? 0, details: err?.details ?? '' }),
      );
    });
  }

  it(
    'every unary method answers OK or a client-error code to any decodable message',
    async () => {
      expect(UNARY.length).toBeGreaterThan(40);
      await fuzz(
        'grpc unary request',
        fc.tuple(fc.constantFrom(...UNARY), message),
        async ([method, body]) => {
          let decodable = true;
          try {
            method.requestDeserialize(body);
          } catch {
            decodable = false;
          }
          const r = await unary(method.path, body);
          if (r.code === 4) {
            process.stderr.write(`grpc fuzz: ${method.path} hung on ${body.toString('hex')}\n`);
            throw new Error(`${method.path} hung (deadline exceeded)`);
          }
          if (!decodable) {
            expect(r.code).toBe(13);
            return;
          }
          if (r.code !== 0 && !CLIENT_CODES.has(r.code)) {
            process.stderr.write(`grpc fuzz: ${method.path} → code ${r.code}: ${r.details}\n`);
            throw new Error(`${method.path} → code ${r.code}: ${r.details}`);
          }
        },
        { kind: 'gRPC request', runs: 1500, timeoutMs: 10_000 },
      );
      expect((await unary('/tscr.volume.v1.Volumes/ListVolumes', Buffer.alloc(0))).code).toBe(0);
    },
    fuzzTimeout(120_000),
  );

  it('regression: an error whose details hold non-ASCII text (a name the client sent) still reaches the client', async () => {
    regression(
      'gRPC request',
      'an error whose details echoed a non-ASCII name (`GetVolume` of "é") made grpc-js throw while writing the details metadata, so the call never answered (a hang until the deadline); details now travel as ASCII JSON',
    );
    const body = Buffer.from(volumeV1.GetVolumeRequest.encode({ name: 'caf\u00e9\u0001' }).finish());
    const r = await unary('/tscr.volume.v1.Volumes/GetVolume', body);
    expect([3, 5]).toContain(r.code);
  });
});
