import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Server } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { isUnimplemented, unimplemented } from '@tscr/api';
import { listen } from '@tscr/api/grpc';
import type { Progress, RegistryClient } from '@tscr/registry-client';
import { createRegistryClient } from '@tscr/registry-client/local';
import {
  GrpcRegistryClient,
  addRegistryService,
  type RegistryRequestOptions,
  type RegistryTags,
} from '@tscr/registry-client/grpc';
import { makeTempDir } from '@tscr/testkit';
import { describeRegistryClient } from '../conformance/registry-client.js';

async function serve(impl: RegistryClient = createRegistryClient()) {
  const dir = await makeTempDir('registry-grpc');
  const server = new Server();
  addRegistryService(server, impl);
  const address = await listen(server, `unix://${join(dir, 'x.sock')}`);
  const client = new GrpcRegistryClient(address);
  return {
    client,
    close: async () => {
      client.close();
      server.forceShutdown();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

describeRegistryClient('GrpcRegistryClient over a UNIX socket', () => serve());

describe('GrpcRegistryClient', () => {
  it('streams progress and keeps an error raised mid-stream', async () => {
    // A stand-in registry: two progress reports, then a failure.
    const local = createRegistryClient();
    const fake: RegistryClient = {
      parseReference: (ref) => local.parseReference(ref),
      async *pull(ref) {
        yield { id: ref, status: 'Pulling fs layer' };
        yield { id: 'sha256:abc', status: 'Downloading', current: 5, total: 10 };
        throw unimplemented('the rest');
      },
      push: (ref, opts) => local.push(ref, opts),
    };
    const fx = await serve(fake);
    try {
      const seen: Progress[] = [];
      let err: unknown;
      try {
        for await (const p of fx.client.pull('busybox', { signal: AbortSignal.timeout(4000) })) seen.push(p);
      } catch (e) {
        err = e;
      }
      expect(seen).toEqual([
        { id: 'busybox', status: 'Pulling fs layer' },
        { id: 'sha256:abc', status: 'Downloading', current: 5, total: 10 },
      ]);
      expect(isUnimplemented(err)).toBe(true);
    } finally {
      await fx.close();
    }
  });

  it("lists tags over the wire with the request's credentials, or says it cannot", async () => {
    const local = createRegistryClient();
    const calls: Array<[string, RegistryRequestOptions | undefined]> = [];
    const fake: RegistryClient & RegistryTags = {
      parseReference: (ref) => local.parseReference(ref),
      pull: (ref, opts) => local.pull(ref, opts),
      push: (ref, opts) => local.push(ref, opts),
      async listTags(repository, opts) {
        calls.push([repository, opts]);
        return ['1', 'latest'];
      },
    };
    const fx = await serve(fake);
    const bare = await serve(local);
    try {
      expect(await fx.client.listTags('localhost:5000/app', { auth: { username: 'u', password: 'p' } })).toEqual([
        '1',
        'latest',
      ]);
      expect(calls[0]?.[0]).toBe('localhost:5000/app');
      expect(calls[0]?.[1]?.auth).toEqual({ username: 'u', password: 'p' });
      expect(isUnimplemented(await bare.client.listTags('app').catch((e: unknown) => e))).toBe(true);
    } finally {
      await fx.close();
      await bare.close();
    }
  });
});
