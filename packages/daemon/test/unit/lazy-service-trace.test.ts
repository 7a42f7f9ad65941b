import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Server, ServerCredentials } from '@grpc/grpc-js';
import { flushTrace, notFound, TRACE_ENV, type TraceSpan } from '@tscr/api';
import type { LogEntry } from '@tscr/api';
import type { ContainerService } from '@tscr/container';
import { addContainerService, GrpcContainerService } from '@tscr/container/grpc';
import { makeTempDir, rejection } from '@tscr/testkit';
import { addLazyService, LAZY_SERVICES } from '../../src/lazy-service.js';

// The trace file is read once, on the first timed step: set before any call of this file.
const dir = await makeTempDir('lazy-trace');
const traceFile = join(dir, 'trace.jsonl');
process.env[TRACE_ENV] = traceFile;

/** The calls the run path makes, answered at once; `start` of an unknown ID fails as the real one does. */
const containers = {
  create: async () => ({ id: 'c1', warnings: [] }),
  start: async (id: string) => {
    if (id !== 'c1') throw notFound(`no such container: ${id}`, { details: { id } });
  },
  async *attach(_id: string, opts: { onAttached?: () => void }): AsyncGenerator<LogEntry> {
    opts.onAttached?.();
    yield { stream: 'stdout', data: Buffer.from('hello\n'), time: '2026-01-01T00:00:00Z' };
  },
} as unknown as ContainerService;

describe('addLazyService with TSCR_TRACE', () => {
  let server: Server;
  let client: GrpcContainerService;
  beforeAll(async () => {
    server = new Server();
    addLazyService(server, LAZY_SERVICES.containers, (s) => addContainerService(s, containers));
    const address = `unix://${join(dir, 'g.sock')}`;
    await new Promise<void>((resolve, reject) =>
      server.bindAsync(address, ServerCredentials.createInsecure(), (err) => (err ? reject(err) : resolve())),
    );
    client = new GrpcContainerService(address);
  });
  afterAll(async () => {
    client?.close();
    server?.forceShutdown();
    delete process.env[TRACE_ENV];
    await rm(dir, { recursive: true, force: true });
  });

  it('times unary calls and a stream to its first message, and the answers still arrive', async () => {
    expect(await client.create({ config: { image: 'x' } })).toEqual({ id: 'c1', warnings: [] });
    await client.start('c1');
    const err = await rejection(client.start('c2'));
    expect(err.code).toBe('NotFound');
    expect(err.details).toMatchObject({ id: 'c2' });
    const lines: string[] = [];
    for await (const e of client.attach('c1')) lines.push(Buffer.from(e.data).toString());
    expect(lines).toEqual(['hello\n']);

    flushTrace();
    const spans = (await readFile(traceFile, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as TraceSpan);
    const got = spans.map((s) => [s.step, s.id]);
    expect(got).toEqual([
      ['grpc.createContainer', ''],
      ['grpc.startContainer', 'c1'],
      ['grpc.startContainer', 'c2'],
      ['grpc.attachContainer', 'c1'],
    ]);
    for (const s of spans) expect(s.ms).toBeGreaterThanOrEqual(0);
  });
});
