import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rejection } from '@tscr/testkit';
import {
  isAlreadyExists,
  isCancelled,
  isFailedPrecondition,
  isInvalidArgument,
  isNotFound,
  isUnimplemented,
} from '@tscr/api';
import type { NetworkService } from '@tscr/network';

/** What a conformance run needs: a service and a way to tear it down. */
export interface NetworkServiceFixture {
  service: NetworkService;
  close(): Promise<void>;
}

/** The contract of {@link NetworkService}, run against any implementation. */
export function describeNetworkService(name: string, setup: () => Promise<NetworkServiceFixture>): void {
  describe(`NetworkService conformance: ${name}`, () => {
    let fx: NetworkServiceFixture;
    let svc: NetworkService;
    beforeAll(async () => {
      fx = await setup();
      svc = fx.service;
    });
    afterAll(async () => {
      await fx?.close();
    });

    it('lists the predefined networks none (null) and host', async () => {
      const list = await svc.list();
      const byName = Object.fromEntries(list.map((n) => [n.name, n]));
      expect(Object.keys(byName).sort()).toEqual(['host', 'none']);
      expect(byName.none).toMatchObject({ driver: 'null', builtin: true, labels: {} });
      expect(byName.host).toMatchObject({ driver: 'host', builtin: true, labels: {} });
      for (const n of list) {
        expect(n.id).toMatch(/^[a-f0-9]{64}$/);
        expect(Number.isNaN(Date.parse(n.created))).toBe(false);
      }
      expect(byName.none?.id).not.toBe(byName.host?.id);
    });

    it('gets a network by name, full ID and ID prefix', async () => {
      const host = await svc.get('host');
      expect(host.name).toBe('host');
      expect(await svc.get(host.id)).toEqual(host);
      expect((await svc.get(host.id.slice(0, 12))).name).toBe('host');
    });

    it('raises NotFound for an unknown network', async () => {
      const err = await rejection(svc.get('tscr-test-nonexistent'));
      expect(isNotFound(err)).toBe(true);
      expect(err.message).toContain('tscr-test-nonexistent');
    });

    it('refuses to create a network of a driver not built yet, naming the driver', async () => {
      const bridge = await rejection(svc.create('tscr-test-net'));
      expect(isUnimplemented(bridge)).toBe(true);
      expect(bridge.message).toContain('"bridge"');
      const macvlan = await rejection(svc.create('tscr-test-net', { driver: 'macvlan' }));
      expect(isUnimplemented(macvlan)).toBe(true);
      expect(macvlan.details.feature).toBe('network driver "macvlan"');
      expect((await svc.list()).map((n) => n.name)).not.toContain('tscr-test-net');
    });

    it('checks the name before the driver', async () => {
      expect(isInvalidArgument(await rejection(svc.create('bad name', { driver: 'bridge' })))).toBe(true);
      expect(isInvalidArgument(await rejection(svc.create('')))).toBe(true);
      expect(isAlreadyExists(await rejection(svc.create('host', { driver: 'bridge' })))).toBe(true);
      expect(isAlreadyExists(await rejection(svc.create('none')))).toBe(true);
    });

    it('does not remove predefined networks', async () => {
      expect(isFailedPrecondition(await rejection(svc.remove('none')))).toBe(true);
      expect(isFailedPrecondition(await rejection(svc.remove('host')))).toBe(true);
      expect(isNotFound(await rejection(svc.remove('tscr-test-nonexistent')))).toBe(true);
      expect((await svc.list()).length).toBe(2);
    });

    it('attaches by network mode', async () => {
      const none = { mode: 'none', endpoints: [], ports: [], dns: [] };
      expect(await svc.attach('tscr-test-c1', 'none')).toEqual(none);
      expect(await svc.attach('tscr-test-c2', '')).toEqual(none);
      expect(await svc.attach('tscr-test-c3', 'host')).toMatchObject({ mode: 'host', endpoints: [], ports: [] });
      const host = await svc.get('host');
      expect((await svc.attach('tscr-test-c4', host.id)).mode).toBe('host');
      expect(await svc.attachment('tscr-test-c1')).toEqual(none);
      for (const id of ['tscr-test-c1', 'tscr-test-c2', 'tscr-test-c3', 'tscr-test-c4']) await svc.detach(id);
      expect(await svc.attachment('tscr-test-c1')).toBeUndefined();
    });

    it('refuses published ports on the none network', async () => {
      const ports = [{ containerPort: 80, protocol: 'tcp' as const, hostIp: '', hostPort: 8080 }];
      expect(isInvalidArgument(await rejection(svc.attach('tscr-test-c7', 'none', { ports })))).toBe(true);
    });

    it('connects and disconnects only on bridge networks', async () => {
      expect(isFailedPrecondition(await rejection(svc.connect('tscr-test-c8', 'host')))).toBe(true);
      expect(isFailedPrecondition(await rejection(svc.disconnect('tscr-test-c8', 'none')))).toBe(true);
      expect(isNotFound(await rejection(svc.connect('tscr-test-c8', 'tscr-test-nonexistent')))).toBe(true);
    });

    it('prunes nothing when only predefined networks exist', async () => {
      expect(await svc.prune()).toEqual([]);
      expect((await svc.list()).length).toBe(2);
    });

    it('rejects network modes it cannot honour', async () => {
      const unknown = await rejection(svc.attach('tscr-test-c5', 'tscr-test-nonexistent'));
      expect(isNotFound(unknown)).toBe(true);
      expect(unknown.message).toBe('network tscr-test-nonexistent not found');
      expect(isUnimplemented(await rejection(svc.attach('tscr-test-c5', 'container:abc')))).toBe(true);
      expect(isUnimplemented(await rejection(svc.attach('tscr-test-c5', 'bridge')))).toBe(true);
      expect(isInvalidArgument(await rejection(svc.attach('', 'none')))).toBe(true);
    });

    it('detaches idempotently, attached or not', async () => {
      await svc.attach('tscr-test-c6', 'none');
      await svc.detach('tscr-test-c6');
      await svc.detach('tscr-test-c6');
      await svc.detach('tscr-test-never-attached');
    });

    it('honours an aborted signal', async () => {
      const ac = new AbortController();
      ac.abort();
      expect(isCancelled(await rejection(svc.list({ signal: ac.signal })))).toBe(true);
    });
  });
}
