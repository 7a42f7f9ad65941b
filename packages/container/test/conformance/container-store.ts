/**
 * The ContainerStore contract, run against every implementation (memory
 * here, SQLite in @tscr/daemon).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { errorCode, type ContainerInfo } from '@tscr/api';
import type { ContainerStore } from '@tscr/container';

/** A record with every field set, as the service writes them. */
export function sampleRecord(id: string, name: string, created = '2024-01-01T00:00:00.000Z'): ContainerInfo {
  return {
    id,
    name,
    created,
    image: `sha256:${'a'.repeat(64)}`,
    path: 'sh',
    args: ['-c', 'echo hi'],
    config: { image: 'busybox:test', cmd: ['sh', '-c', 'echo hi'], env: ['PATH=/bin'], labels: { a: 'b' } },
    hostConfig: { networkMode: 'none', autoRemove: true, binds: ['/tmp:/tmp:ro'] },
    state: {
      status: 'created',
      running: false,
      pid: 0,
      exitCode: 0,
      error: '',
      oomKilled: false,
      startedAt: '',
      finishedAt: '',
    },
    mounts: [{ type: 'bind', source: '/tmp', destination: '/tmp', rw: false }],
    restartCount: 0,
    logPath: `/tmp/${id}/container.log`,
    rootfs: '',
  };
}

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    return errorCode(err);
  }
  return 'none';
}

/** Registers the ContainerStore conformance tests. */
export function describeContainerStore(
  name: string,
  setup: () => Promise<{ store: ContainerStore; reopen?: () => ContainerStore; cleanup(): Promise<void> }>,
): void {
  describe(`ContainerStore conformance: ${name}`, () => {
    let h: Awaited<ReturnType<typeof setup>>;
    beforeEach(async () => {
      h = await setup();
    });
    afterEach(async () => {
      await h.cleanup();
    });
    const idA = 'a'.repeat(64);
    const idB = `ab${'0'.repeat(62)}`;

    it('round-trips records exactly', () => {
      const rec = sampleRecord(idA, 'web');
      h.store.insert(rec);
      expect(h.store.get(idA)).toEqual(rec);
      expect(h.store.getByName('web')).toEqual(rec);
      expect(h.store.get('b'.repeat(64))).toBeUndefined();
      expect(h.store.getByName('nope')).toBeUndefined();
    });

    it('refuses a taken ID or name atomically', () => {
      h.store.insert(sampleRecord(idA, 'web'));
      expect(codeOf(() => h.store.insert(sampleRecord(idA, 'other')))).toBe('AlreadyExists');
      expect(codeOf(() => h.store.insert(sampleRecord(idB, 'web')))).toBe('AlreadyExists');
      expect(h.store.list().length).toBe(1);
    });

    it('updates, finds by prefix, lists and deletes idempotently', () => {
      h.store.insert(sampleRecord(idA, 'one', '2024-01-01T00:00:00.000Z'));
      h.store.insert(sampleRecord(idB, 'two', '2024-01-02T00:00:00.000Z'));
      const rec = h.store.get(idA)!;
      rec.state = { ...rec.state, status: 'running', running: true, pid: 42 };
      h.store.update(rec);
      expect(h.store.get(idA)?.state.pid).toBe(42);
      expect(codeOf(() => h.store.update(sampleRecord('c'.repeat(64), 'three')))).toBe('NotFound');
      expect(
        h.store
          .findByIdPrefix('a')
          .map((r) => r.id)
          .sort(),
      ).toEqual([idA, idB].sort());
      expect(h.store.findByIdPrefix('ab').map((r) => r.id)).toEqual([idB]);
      expect(
        h.store
          .list()
          .map((r) => r.name)
          .sort(),
      ).toEqual(['one', 'two']);
      h.store.delete(idA);
      h.store.delete(idA);
      expect(h.store.list().map((r) => r.id)).toEqual([idB]);
      h.store.insert(sampleRecord(idA, 'one'));
    });

    it('lists only the running or restarting records when asked for the active ones', () => {
      const idC = 'c'.repeat(64);
      h.store.insert(sampleRecord(idA, 'created', '2024-01-01T00:00:00.000Z'));
      h.store.insert(sampleRecord(idB, 'running', '2024-01-02T00:00:00.000Z'));
      h.store.insert(sampleRecord(idC, 'restarting', '2024-01-03T00:00:00.000Z'));
      const running = h.store.get(idB)!;
      running.state = { ...running.state, status: 'running', running: true, pid: 42 };
      h.store.update(running);
      const restarting = h.store.get(idC)!;
      restarting.state = { ...restarting.state, status: 'restarting' };
      h.store.update(restarting);
      const names = (filter?: { active?: boolean }) =>
        h.store
          .list(filter)
          .map((r) => r.name)
          .sort();
      expect(names({ active: true })).toEqual(['restarting', 'running']);
      expect(names()).toEqual(['created', 'restarting', 'running']);
      running.state = { ...running.state, status: 'exited', running: false, pid: 0 };
      h.store.update(running);
      expect(names({ active: true })).toEqual(['restarting']);
    });

    it('keeps records across a reopen (when the store persists)', () => {
      if (!h.reopen) return;
      h.store.insert(sampleRecord(idA, 'web'));
      expect(h.reopen().get(idA)?.name).toBe('web');
    });
  });
}
