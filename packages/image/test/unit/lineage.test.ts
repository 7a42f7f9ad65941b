import { describe, expect, it } from 'vitest';
import { parentsOf } from '../../src/local/lineage.js';
import type { ImageRecord } from '../../src/local/oci.js';

function rec(id: string, layers: string[], history: string[]): ImageRecord {
  return {
    id,
    manifestDigest: `m-${id}`,
    manifest: { schemaVersion: 2, mediaType: '', config: { mediaType: '', digest: id, size: 0 }, layers: [] },
    config: {
      architecture: 'amd64',
      os: 'linux',
      rootfs: { type: 'layers', diff_ids: layers },
      history: history.map((h) => ({ created: '2026-11-28T00:00:00Z', created_by: h })),
    },
  } as ImageRecord;
}

describe('parentsOf', () => {
  it('finds the closest image each was built from, by layers and history', () => {
    const base = rec('base', ['l1'], ['import']);
    const step = rec('step', ['l1', 'l2'], ['import', 'RUN a']);
    const meta = rec('meta', ['l1', 'l2'], ['import', 'RUN a', 'ENV x']);
    const other = rec('other', ['l1'], ['import', 'CMD b']);
    const parents = parentsOf([meta, other, base, step]);
    expect(parents.get('step')).toBe('base');
    expect(parents.get('meta')).toBe('step');
    expect(parents.get('other')).toBe('base');
    expect(parents.has('base')).toBe(false);
  });

  it('does not take images that only share layers (another history) for parents', () => {
    const a = rec('a', ['l1'], ['import']);
    const b = rec('b', ['l1', 'l2'], ['pulled']);
    const same = rec('same', ['l1'], ['import']);
    expect(parentsOf([a, b, same]).size).toBe(0);
  });
});
