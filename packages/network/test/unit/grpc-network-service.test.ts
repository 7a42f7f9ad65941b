import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Server } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { isNotFound, isUnavailable } from '@tscr/api';
import { listen } from '@tscr/api/grpc';
import { createLocalNetworkService } from '@tscr/network/local';
import { GrpcNetworkService, addNetworkService } from '@tscr/network/grpc';
import { makeTempDir } from '@tscr/testkit';
import type { Endpoint, Network } from '@tscr/network';
import { networkFromProto, networkToProto } from '../../src/grpc/convert.js';
import { describeNetworkService } from '../conformance/network-service.js';

async function serve() {
  const dir = await makeTempDir('network-grpc');
  const server = new Server();
  addNetworkService(server, createLocalNetworkService());
  const address = await listen(server, `unix://${join(dir, 'x.sock')}`);
  const client = new GrpcNetworkService(address);
  return {
    address,
    service: client,
    close: async () => {
      client.close();
      server.forceShutdown();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

describeNetworkService('GrpcNetworkService over a UNIX socket', serve);

describe('GrpcNetworkService', () => {
  it('keeps NotFound and its details across the wire', async () => {
    const fx = await serve();
    try {
      const err = await fx.service.get('tscr-test-missing').catch((e: unknown) => e);
      expect(isNotFound(err)).toBe(true);
      expect((err as { details: Record<string, string> }).details.network).toBe('tscr-test-missing');
    } finally {
      await fx.close();
    }
  });

  it('reports Unavailable when nothing listens', async () => {
    const dir = await makeTempDir('network-grpc');
    const client = new GrpcNetworkService(`unix://${join(dir, 'nobody.sock')}`);
    try {
      expect(isUnavailable(await client.list().catch((e: unknown) => e))).toBe(true);
    } finally {
      client.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('network conversion to and from the wire', () => {
  it("keeps a network's scope and an endpoint's driver data; leaves them out when absent", () => {
    const ep: Endpoint = {
      networkId: 'n1',
      networkName: 'tscr-test-n',
      containerId: 'c1',
      containerName: 'c',
      aliases: [],
      interfaceName: 'eth0',
      ipAddress: '10.1.0.2',
      prefixLen: 24,
      gateway: '',
      macAddress: '02:42:0a:01:00:02',
      staticIp: false,
    };
    const n: Network = {
      id: 'n1',
      name: 'tscr-test-n',
      driver: 'tscr-test-p',
      created: '',
      labels: {},
      builtin: false,
      internal: false,
      options: {},
      ipam: [],
      containers: { c1: { ...ep, driverInfo: { vlan: '7' } }, c2: { ...ep, containerId: 'c2' } },
      scope: 'global',
    };
    const back = networkFromProto(networkToProto(n));
    expect(back).toEqual(n);
    expect('driverInfo' in (back.containers.c2 ?? {})).toBe(false);
    const { scope: _, ...local } = n;
    expect('scope' in networkFromProto(networkToProto(local))).toBe(false);
  });
});
