import { rm } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import type { TscrEvent } from '@tscr/api';
import { createLocalVolumeService } from '@tscr/volume/local';
import { makeTempDir } from '@tscr/testkit';
import { EventedVolumeService } from '../../src/volume-events.js';

describe('EventedVolumeService', () => {
  it('publishes create, mount and destroy', async () => {
    const root = await makeTempDir('volume-events');
    const seen: Omit<TscrEvent, 'timeNano'>[] = [];
    const svc = new EventedVolumeService(createLocalVolumeService({ root }), { publish: (e) => seen.push(e) });
    try {
      await svc.create('tscr-test-ev');
      await svc.resolveMounts('tscr-test-c', [
        { type: 'volume', source: 'tscr-test-ev', target: '/e', readOnly: true },
      ]);
      await svc.release('tscr-test-c');
      await svc.remove('tscr-test-ev');
      expect(seen.map((e) => [e.type, e.action, e.id])).toEqual([
        ['volume', 'create', 'tscr-test-ev'],
        ['volume', 'mount', 'tscr-test-ev'],
        ['volume', 'destroy', 'tscr-test-ev'],
      ]);
      expect(seen[1]?.attributes).toEqual({ container: 'tscr-test-c', destination: '/e', 'read/write': 'false' });
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
