import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Server } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import {
  isCancelled,
  isInvalidArgument,
  isNotFound,
  isUnimplemented,
  notFound,
  unavailable,
  type TscrError,
  type TscrEvent,
} from '@tscr/api';
import { listen } from '@tscr/api/grpc';
import { DEFAULT_CONFIG, parseCommandLine } from '@tscr/daemon';
import {
  EventBus,
  EventedRegistryClient,
  SharedStream,
  StoreRegistryClient,
  buildLayers,
  isPullStore,
} from '@tscr/daemon/local';
import { parseReference, type CallOptions, type Progress } from '@tscr/registry-client';
import {
  GrpcRegistryClient,
  addRegistryService,
  type RegistryAuth,
  type RegistryRequestOptions,
  type RegistryService,
} from '@tscr/registry-client/grpc';
import { makeTempDir } from '@tscr/testkit';

/** A registry layer that records what it was asked and pulls slowly until released. */
class FakeRegistry implements RegistryService {
  pulls: { ref: string; opts: RegistryRequestOptions }[] = [];
  logins: { registry: string; auth: RegistryAuth }[] = [];
  release!: () => void;
  private gate = new Promise<void>((resolve) => (this.release = resolve));

  async parseReference(ref: string) {
    return parseReference(ref);
  }

  async *pull(ref: string, opts: RegistryRequestOptions = {}): AsyncGenerator<Progress> {
    this.pulls.push({ ref, opts });
    if (ref.includes('missing')) throw notFound(`no such manifest: ${ref}`);
    if (ref.includes('down'))
      throw unavailable('registry down.example unreachable', { details: { registry: 'down.example' } });
    yield { id: '1', status: 'Pulling from x' };
    await this.gate;
    yield { id: '1', status: 'Digest: sha256:abc' };
  }

  async *push(ref: string): AsyncGenerator<Progress> {
    yield { id: '1', status: `The push refers to repository [${ref}]` };
  }

  async login(registry: string, auth: RegistryAuth, _opts?: CallOptions) {
    this.logins.push({ registry, auth });
    return { status: 'Login Succeeded' };
  }
}

async function collect(it: AsyncIterable<Progress>): Promise<string[]> {
  const out: string[] = [];
  for await (const p of it) out.push(p.status);
  return out;
}

function nextEvents(bus: EventBus, n: number): Promise<TscrEvent[]> {
  const it = bus.subscribe({ types: ['image'] })[Symbol.asyncIterator]();
  return (async () => {
    const got: TscrEvent[] = [];
    for (let i = 0; i < n; i++) got.push((await it.next()).value as TscrEvent);
    await it.return?.();
    return got;
  })();
}

describe('EventedRegistryClient', () => {
  it('shares one pull between concurrent pulls of a reference and publishes one pull event', async () => {
    const inner = new FakeRegistry();
    const bus = new EventBus();
    const events = nextEvents(bus, 2);
    const registry = new EventedRegistryClient(inner, bus);
    const a = collect(registry.pull('localhost:5000/x:1'));
    const b = collect(registry.pull('localhost:5000/x:1'));
    await new Promise((r) => setTimeout(r, 20));
    inner.release();
    expect(await a).toEqual(['Pulling from x', 'Digest: sha256:abc']);
    expect(await b).toEqual(['Pulling from x', 'Digest: sha256:abc']);
    expect(inner.pulls).toHaveLength(1);
    await collect(registry.push('localhost:5000/x:1'));
    const got = await events;
    expect(got.map((e) => `${e.action} ${e.id}`)).toEqual(['pull localhost:5000/x:1', 'push localhost:5000/x:1']);
  });

  it('pulls apart for other users and passes errors to every reader', async () => {
    const inner = new FakeRegistry();
    inner.release();
    const registry = new EventedRegistryClient(inner, new EventBus());
    await collect(registry.pull('x:1', { auth: { username: 'a', password: 'p' } }));
    await collect(registry.pull('x:1'));
    expect(inner.pulls).toHaveLength(2);
    expect(inner.pulls[0]?.opts.auth).toEqual({ username: 'a', password: 'p' });
    await expect(collect(registry.pull('missing:1'))).rejects.toSatisfy(isNotFound);
  });
});

describe('SharedStream', () => {
  it('aborts the producer when its last reader leaves, and a reader can cancel', async () => {
    let aborted = false;
    const shared = new SharedStream<number>(async function* (signal) {
      yield 1;
      await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve()));
      aborted = true;
    });
    const ac = new AbortController();
    const reader = shared.read(ac.signal);
    expect((await reader.next()).value).toBe(1);
    const pending = reader.next();
    ac.abort();
    await expect(pending).rejects.toSatisfy(isCancelled);
    await shared.done;
    expect(aborted).toBe(true);
  });
});

describe('StoreRegistryClient', () => {
  it('raises Unimplemented without a store and checks credentials', async () => {
    const registry = new StoreRegistryClient({
      missingStore: { pull: 'pull into a remote image layer', push: 'push x' },
    });
    await expect(collect(registry.pull('localhost:5000/x:1'))).rejects.toSatisfy(isUnimplemented);
    await expect(collect(registry.push('localhost:5000/x:1'))).rejects.toSatisfy(isUnimplemented);
    await expect(collect(registry.pull('Not A Ref'))).rejects.toSatisfy(isInvalidArgument);
    await expect(registry.login('localhost:5000', { username: 'u' })).rejects.toSatisfy(isInvalidArgument);
    expect(isPullStore({})).toBe(false);
  });
});

describe('the registry service over gRPC', () => {
  it('carries credentials, platform and login', async () => {
    const dir = await makeTempDir('registry-grpc');
    const inner = new FakeRegistry();
    inner.release();
    const server = new Server();
    addRegistryService(server, new EventedRegistryClient(inner, new EventBus()));
    const client = new GrpcRegistryClient(await listen(server, `unix://${join(dir, 'x.sock')}`));
    try {
      const auth = { username: 'me', password: 'pw' };
      await collect(client.pull('x:1', { auth, platform: { os: 'linux', architecture: 'arm', variant: 'v7' } }));
      expect(inner.pulls[0]?.opts.auth).toEqual(auth);
      expect(inner.pulls[0]?.opts.platform).toEqual({ os: 'linux', architecture: 'arm', variant: 'v7' });
      await collect(client.pull('y:1'));
      expect(inner.pulls[1]?.opts.auth).toBeUndefined();
      expect(await client.login('localhost:5000', auth)).toEqual({ status: 'Login Succeeded' });
      expect(inner.logins).toEqual([{ registry: 'localhost:5000', auth }]);
      await expect(collect(client.pull('missing:1'))).rejects.toSatisfy(isNotFound);
      // A registry the daemon cannot reach is not a daemon the client cannot reach.
      const down = (await collect(client.pull('down.example/x:1')).catch((e: unknown) => e)) as TscrError;
      expect(down.code).toBe('Unavailable');
      expect(down.message).toBe('registry down.example unreachable');
      expect(down.details).toEqual({ registry: 'down.example' });
    } finally {
      client.close();
      server.forceShutdown();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('the daemon registry layer', () => {
  it('raises Unimplemented for pulls and pushes when the image layer is remote', async () => {
    const layers = buildLayers({
      ...DEFAULT_CONFIG,
      root: '/tmp/tscr-test-unused',
      execRoot: '/tmp/tscr-test-unused',
      layers: { ...DEFAULT_CONFIG.layers, images: 'unix:///tmp/tscr-test-nowhere.sock' },
    });
    try {
      const pull = collect(layers.registry.service.pull('localhost:5000/x:1'));
      await expect(pull).rejects.toSatisfy(isUnimplemented);
      await expect(pull).rejects.toThrow(/pull into a remote image layer/);
      await expect(collect(layers.registry.service.push('localhost:5000/x:1'))).rejects.toThrow(
        /push from a remote image layer/,
      );
    } finally {
      for (const l of Object.values(layers)) l.close();
    }
  });
});

describe('insecure registries', () => {
  it('come from --insecure-registry and the config file', async () => {
    const cmd = await parseCommandLine(['--insecure-registry', 'reg.lan:5000', '--insecure-registry', 'reg.lan:5000']);
    expect(cmd.kind === 'daemon' && cmd.config.insecureRegistries).toEqual(['reg.lan:5000']);
    await expect(parseCommandLine(['--insecure-registry', 'http://x/'])).rejects.toSatisfy(isInvalidArgument);
  });
});
