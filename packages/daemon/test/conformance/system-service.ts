/** The SystemService contract, run against the local service and through gRPC. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VERSION, type TscrEvent } from '@tscr/api';
import type { SystemService } from '@tscr/daemon';
import type { EventBus } from '@tscr/daemon/local';

/** What a conformance run needs: the service, and the bus its events come from. */
export interface SystemHarness {
  service: SystemService;
  bus: EventBus;
  cleanup(): Promise<void>;
}

/** Registers the SystemService conformance tests. */
export function describeSystemService(name: string, setup: () => Promise<SystemHarness>): void {
  describe(`SystemService conformance: ${name}`, () => {
    let h: SystemHarness;
    beforeAll(async () => {
      h = await setup();
    });
    afterAll(async () => {
      await h?.cleanup();
    });

    it('answers ping and version', async () => {
      await h.service.ping();
      const v = await h.service.version();
      expect(v).toMatchObject({
        version: VERSION,
        apiVersion: 'v1',
        nodeVersion: process.version,
        runtime: 'runc',
        monitor: 'conmon',
      });
      expect(v.kernelVersion).not.toBe('');
    });

    it('reports info with container counts and layers', async () => {
      const info = await h.service.info();
      expect(info).toMatchObject({
        containers: 3,
        containersRunning: 1,
        containersStopped: 2,
        images: 2,
        defaultRuntime: 'runc',
      });
      expect(info.layers).toEqual([{ layer: 'images', endpoint: 'unix:///tmp/tscr-test-images.sock' }]);
      expect(info.ncpu).toBeGreaterThan(0);
    });

    it('streams events from the moment it is subscribed, filtered by type', async () => {
      const ac = new AbortController();
      let subscribed!: () => void;
      const ready = new Promise<void>((r) => (subscribed = r));
      const got: TscrEvent[] = [];
      const reading = (async () => {
        for await (const e of h.service.events({ types: ['image'], signal: ac.signal, onSubscribed: subscribed })) {
          got.push(e);
          if (got.length === 2) return;
        }
      })();
      await ready;
      h.bus.publish({ type: 'container', action: 'start', id: 'c1', attributes: {} });
      h.bus.publish({ type: 'image', action: 'import', id: 'i1', attributes: { name: 'x' } });
      h.bus.publish({ type: 'image', action: 'delete', id: 'i1', attributes: {} });
      await reading;
      ac.abort();
      expect(got.map((e) => `${e.type}/${e.action}/${e.id}`)).toEqual(['image/import/i1', 'image/delete/i1']);
      expect(got[0]!.attributes).toEqual({ name: 'x' });
      expect(got[0]!.timeNano).toMatch(/^\d{19}$/);
    });
  });
}
