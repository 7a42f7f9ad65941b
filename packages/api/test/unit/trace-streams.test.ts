import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Server } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TRACE_ENV, type TraceSpan, flushTrace } from '../../src/index.js';
import type { SystemService } from '../../src/index.js';
import { GrpcSystemService, addSystemService, listen, traceStreams } from '../../src/grpc/index.js';

// The trace file is read once, on the first timed step: set before anything of this file runs.
const dir = mkdtempSync(join(tmpdir(), 'tscr-test-trace-streams-'));
const traceFile = join(dir, 'trace.jsonl');
process.env[TRACE_ENV] = traceFile;

const system: SystemService = {
  ping: async () => undefined,
  version: () => Promise.reject(new Error('not in this test')),
  info: () => Promise.reject(new Error('not in this test')),
  events: () => {
    throw new Error('not in this test');
  },
};

describe('traceStreams (TSCR_TRACE on)', () => {
  let server: Server;
  let client: GrpcSystemService;
  beforeAll(async () => {
    server = new Server();
    addSystemService(server, system);
    const address = await listen(server, `unix://${join(dir, 'g.sock')}`);
    client = new GrpcSystemService(address);
  });
  afterAll(() => {
    client?.close();
    server?.forceShutdown();
    delete process.env[TRACE_ENV];
    rmSync(dir, { recursive: true, force: true });
  });

  it("times each call's HTTP/2 stream, once, by its method, and the calls still answer", async () => {
    await client.ping(); // timed by what listen set up
    traceStreams(server); // a second time adds no second listener
    await client.ping();
    await expect(client.version()).rejects.toThrow(/not in this test/);
    // The stream closes just after the client has its answer.
    await new Promise((r) => setTimeout(r, 50));
    flushTrace();
    const spans = readFileSync(traceFile, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as TraceSpan);
    expect(spans.map((s) => s.step)).toEqual(['grpc.stream.Ping', 'grpc.stream.Ping', 'grpc.stream.Version']);
    for (const s of spans) {
      expect(s.id).toBe('');
      expect(s.ms).toBeGreaterThan(0);
    }
  });
});
