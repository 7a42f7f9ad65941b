import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Server } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { failedPrecondition } from '@tscr/api';
import { listen } from '@tscr/api/grpc';
import { makeTempDir, rejection } from '@tscr/testkit';
import type { BuildEvent, BuildOptions, BuilderService } from '../../src/index.js';
import { GrpcBuilderService, addBuilderService } from '../../src/grpc/index.js';

/** A builder that reads the whole context, reports what it got, and fails when asked to. */
class FakeBuilder implements BuilderService {
  seen: BuildOptions | undefined;

  async *build(context: AsyncIterable<Uint8Array>, opts: BuildOptions = {}): AsyncGenerator<BuildEvent> {
    let bytes = 0;
    for await (const chunk of context) bytes += chunk.byteLength;
    const { signal: _signal, ...rest } = opts;
    this.seen = rest;
    yield { type: 'step', index: 1, total: 2, instruction: 'FROM scratch' };
    yield { type: 'output', data: Buffer.from(`context ${bytes} bytes\n`) };
    yield { type: 'stepDone', index: 1, cached: true, imageId: 'sha256:abc' };
    if (opts.target === 'fail') {
      throw failedPrecondition('step 2/2 (Dockerfile:2): exited 7', { details: { exitCode: '7' } });
    }
    yield { type: 'result', imageId: 'sha256:abc', tags: opts.tags ?? [], cachedSteps: [1], totalSteps: 2 };
  }
}

async function serve(impl: BuilderService) {
  const dir = await makeTempDir('builder-grpc');
  const server = new Server();
  addBuilderService(server, impl, { spoolDir: join(dir, 'spool') });
  const client = new GrpcBuilderService(await listen(server, `unix://${join(dir, 'b.sock')}`));
  return {
    client,
    dir,
    async close() {
      client.close();
      server.forceShutdown();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function collect(events: AsyncIterable<BuildEvent>): Promise<BuildEvent[]> {
  const out: BuildEvent[] = [];
  for await (const e of events) out.push(e);
  return out;
}

async function* bigContext(): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < 10; i++) yield Buffer.alloc(300 * 1024, i);
}

describe('the builder over gRPC', () => {
  it('streams the context up in chunks and every event back, options intact', async () => {
    const fake = new FakeBuilder();
    const fx = await serve(fake);
    try {
      const opts: BuildOptions = {
        dockerfile: 'sub/Dockerfile',
        tags: ['a:1', 'b:2'],
        buildArgs: { X: '1' },
        target: 'final',
        noCache: true,
        labels: { l: 'v' },
        network: 'host',
      };
      const events = await collect(fx.client.build(bigContext(), opts));
      expect(fake.seen).toEqual(opts);
      expect(events).toEqual([
        { type: 'step', index: 1, total: 2, instruction: 'FROM scratch' },
        { type: 'output', data: Buffer.from(`context ${10 * 300 * 1024} bytes\n`) },
        { type: 'stepDone', index: 1, cached: true, imageId: 'sha256:abc' },
        { type: 'result', imageId: 'sha256:abc', tags: ['a:1', 'b:2'], cachedSteps: [1], totalSteps: 2 },
      ]);
    } finally {
      await fx.close();
    }
  });

  it('a failed build keeps its error code and details across the wire; spooled contexts go', async () => {
    const fx = await serve(new FakeBuilder());
    try {
      await mkdir(join(fx.dir, 'spool'));
      await writeFile(join(fx.dir, 'spool', 'left-by-a-crash.tar'), 'x');
      const err = await rejection(collect(fx.client.build(bigContext(), { target: 'fail', dockerfileContent: '' })));
      expect(err).toMatchObject({ code: 'FailedPrecondition', details: { exitCode: '7' } });
      expect(await readdir(join(fx.dir, 'spool'))).toEqual([]);
    } finally {
      await fx.close();
    }
  });
});
