import { describe, expect, it } from 'vitest';
import {
  alreadyExists,
  isAlreadyExists,
  isFailedPrecondition,
  isInvalidArgument,
  isNotFound,
  notFound,
  unavailable,
} from '@tscr/api';
import { rejection } from '@tscr/testkit';
import {
  type CreateNetworkOptions,
  type Network,
  type NetworkAttachment,
  NetworkRouter,
  type NetworkService,
} from '@tscr/network';
import { createLocalNetworkService } from '@tscr/network/local';
import { describeNetworkService } from '../conformance/network-service.js';

/** An in-memory network driver: what a driver served over gRPC or a plugin service looks like to the router. */
class FakeDriver implements NetworkService {
  readonly nets = new Map<string, Network>();
  readonly attached = new Map<string, string>();
  readonly calls: string[] = [];
  down = false;

  constructor(private readonly tag: string) {
    this.nets.set(`${tag}-builtin`, this.net(`${tag}-builtin`, true));
  }

  private net(name: string, builtin = false, driver = this.tag): Network {
    return {
      id: `${this.tag}${name}`.padEnd(64, '0'),
      name,
      driver,
      created: '',
      labels: {},
      builtin,
      internal: false,
      options: {},
      ipam: [],
      containers: {},
    };
  }

  private check(): void {
    if (this.down) throw unavailable(`${this.tag} is down`);
  }

  async list() {
    this.check();
    return [...this.nets.values()];
  }
  async get(name: string) {
    this.check();
    const n = [...this.nets.values()].find((x) => x.name === name || x.id === name);
    if (!n) throw notFound(`network ${name} not found`);
    return n;
  }
  async create(name: string, opts: CreateNetworkOptions = {}) {
    this.calls.push(`create ${name} ${opts.driver ?? '-'}`);
    if (this.nets.has(name)) throw alreadyExists(name);
    const n = this.net(name, false, opts.driver ?? 'inner');
    this.nets.set(name, n);
    return n;
  }
  async remove(name: string) {
    this.calls.push(`remove ${name}`);
    const n = await this.get(name);
    this.nets.delete(n.name);
  }
  async prune() {
    return [];
  }
  async attach(containerId: string, mode: string): Promise<NetworkAttachment> {
    this.calls.push(`attach ${containerId} ${mode}`);
    this.attached.set(containerId, mode);
    return { mode: 'path', path: `/run/${this.tag}/${containerId}`, endpoints: [], ports: [], dns: [] };
  }
  async detach(containerId: string) {
    this.calls.push(`detach ${containerId}`);
    this.attached.delete(containerId);
  }
  async connect(containerId: string, network: string) {
    this.calls.push(`connect ${containerId} ${network}`);
    return {} as never;
  }
  async disconnect(containerId: string, network: string) {
    this.calls.push(`disconnect ${containerId} ${network}`);
  }
  async attachment(containerId: string) {
    const mode = this.attached.get(containerId);
    return mode
      ? { mode: 'path' as const, path: `/run/${this.tag}/${containerId}`, endpoints: [], ports: [], dns: [] }
      : undefined;
  }
}

describeNetworkService('NetworkRouter over the local layer alone', async () => ({
  service: new NetworkRouter({ local: createLocalNetworkService() }),
  close: async () => {},
}));

function setup() {
  const grpcDriver = new FakeDriver('grpcnet');
  const plugins = new FakeDriver('plugins');
  const router = new NetworkRouter({
    local: createLocalNetworkService(),
    drivers: { grpcnet: grpcDriver },
    plugins,
    logger: () => undefined,
  });
  return { router, grpcDriver, plugins };
}

describe('NetworkRouter', () => {
  it('sends create to the driver it names, and shows the driver name', async () => {
    const { router, grpcDriver, plugins } = setup();
    const a = await router.create('tscr-test-a', { driver: 'grpcnet', subnet: '10.9.0.0/24' });
    expect(a.driver).toBe('grpcnet');
    expect(grpcDriver.calls).toEqual(['create tscr-test-a -']); // the named driver gets no driver name
    const b = await router.create('tscr-test-b', { driver: 'weave', ipamDriver: 'ipam1' });
    expect(b.driver).toBe('weave');
    expect(plugins.calls).toEqual(['create tscr-test-b weave']);
    const names = (await router.list()).map((n) => `${n.name}:${n.driver}`);
    expect(names).toEqual(
      expect.arrayContaining(['none:null', 'host:host', 'tscr-test-a:grpcnet', 'tscr-test-b:weave']),
    );
    expect(names).not.toContain('grpcnet-builtin:grpcnet'); // a named driver's predefined networks stay hidden
    expect((await router.get('tscr-test-a')).driver).toBe('grpcnet');
  });

  it('keeps names unique across drivers', async () => {
    const { router } = setup();
    await router.create('tscr-test-a', { driver: 'grpcnet' });
    expect(isAlreadyExists(await rejection(router.create('tscr-test-a', { driver: 'weave' })))).toBe(true);
    expect(isAlreadyExists(await rejection(router.create('host', { driver: 'grpcnet' })))).toBe(true);
  });

  it('refuses a reserved driver name', () => {
    expect(
      () => new NetworkRouter({ local: createLocalNetworkService(), drivers: { bridge: new FakeDriver('x') } }),
    ).toThrow(/reserved/);
  });

  it('routes a container to the driver of its network and remembers it', async () => {
    const { router, grpcDriver, plugins } = setup();
    await router.create('tscr-test-a', { driver: 'grpcnet' });
    await router.create('tscr-test-b', { driver: 'weave' });
    const a = await router.attach('c1', 'tscr-test-a');
    expect(a.path).toBe('/run/grpcnet/c1');
    expect((await router.attach('c2', 'none')).mode).toBe('none');
    expect(await router.attachment('c1')).toMatchObject({ path: '/run/grpcnet/c1' });
    await router.connect('c1', 'tscr-test-a');
    expect(grpcDriver.calls).toContain(`connect c1 ${(await router.get('tscr-test-a')).id}`);
    const cross = await rejection(router.connect('c1', 'tscr-test-b'));
    expect(isFailedPrecondition(cross)).toBe(true);
    await router.detach('c1');
    expect(grpcDriver.calls).toContain('detach c1');
    expect(plugins.calls.filter((c) => c.startsWith('detach'))).toEqual([]);
  });

  it('finds the owner of a container after a restart (a new router)', async () => {
    const { grpcDriver, plugins } = setup();
    grpcDriver.attached.set('c9', 'x');
    const again = new NetworkRouter({ local: createLocalNetworkService(), drivers: { grpcnet: grpcDriver }, plugins });
    expect(await again.attachment('c9')).toMatchObject({ path: '/run/grpcnet/c9' });
    await again.detach('c9');
    expect(grpcDriver.calls).toContain('detach c9');
  });

  it('refuses endpoints of two drivers for one container', async () => {
    const { router } = setup();
    await router.create('tscr-test-a', { driver: 'grpcnet' });
    await router.create('tscr-test-b', { driver: 'weave' });
    const err = await rejection(router.attach('c1', 'tscr-test-a', { endpoints: [{ network: 'tscr-test-b' }] }));
    expect(isInvalidArgument(err)).toBe(true);
    expect(err.message).toContain('tscr-test-b');
  });

  it('lists without a driver that does not answer, and finds the others', async () => {
    const { router, grpcDriver } = setup();
    await router.create('tscr-test-b', { driver: 'weave' });
    grpcDriver.down = true;
    expect((await router.list()).map((n) => n.name)).toContain('tscr-test-b');
    expect((await router.get('tscr-test-b')).driver).toBe('weave');
    expect(isNotFound(await rejection(router.get('tscr-test-zz')))).toBe(true);
  });
});
