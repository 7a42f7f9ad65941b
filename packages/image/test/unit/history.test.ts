import { describe, expect, it } from 'vitest';
import { createdBefore } from '@tscr/api';
import { imageHistory, labelsMatch, parsePruneFilters } from '../../src/local/history.js';
import type { ImageRecord } from '../../src/local/oci.js';

const d = (c: string) => `sha256:${c.repeat(64)}`;

function record(history: NonNullable<ImageRecord['config']['history']> | undefined, sizes: number[]): ImageRecord {
  return {
    manifestDigest: d('e'),
    id: d('a'),
    manifest: {
      schemaVersion: 2,
      config: { mediaType: 'x', digest: d('a'), size: 1 },
      layers: sizes.map((size, i) => ({ mediaType: 'x', digest: d(String(i)), size })),
    },
    config: {
      architecture: 'amd64',
      os: 'linux',
      created: '2026-01-01T00:00:00Z',
      rootfs: { type: 'layers', diff_ids: sizes.map((_, i) => d(String(i))) },
      ...(history ? { history } : {}),
    },
  };
}

describe('imageHistory', () => {
  it('lines layer sizes up with the non-empty steps, newest first, the top one named', () => {
    const rows = imageHistory(
      record(
        [
          { created: '2026-01-01T00:00:00Z', created_by: 'ADD rootfs' },
          { created: '2026-01-02T00:00:00Z', created_by: 'ENV A=b', empty_layer: true },
          { created: '2026-01-03T00:00:00Z', created_by: 'RUN x', comment: 'c' },
        ],
        [100, 7],
      ),
      ['docker.io/library/a:1', `docker.io/library/a@sha256:${'f'.repeat(64)}`],
    );
    expect(rows.map((r) => [r.id, r.createdBy, r.size, r.emptyLayer, r.comment])).toEqual([
      [d('a'), 'RUN x', 7, false, 'c'],
      ['<missing>', 'ENV A=b', 0, true, ''],
      ['<missing>', 'ADD rootfs', 100, false, ''],
    ]);
    expect(rows[0]?.tags).toEqual(['docker.io/library/a:1']);
  });

  it('gives one row per layer when the config has no history', () => {
    const rows = imageHistory(record(undefined, [5, 6]), []);
    expect(rows.map((r) => r.size)).toEqual([6, 5]);
    expect(rows[1]?.created).toBe('2026-01-01T00:00:00Z');
  });
});

describe('prune filters', () => {
  it('parses label, label=value and negations and matches labels', () => {
    const f = parsePruneFilters(['label=a', 'label!=b=2']);
    expect(f).toEqual([
      { kind: 'label', key: 'a', negate: false },
      { kind: 'label', key: 'b', value: '2', negate: true },
    ]);
    expect(labelsMatch(f, { a: 'x', b: '3' })).toBe(true);
    expect(labelsMatch(f, { a: 'x', b: '2' })).toBe(false);
    expect(labelsMatch(f, { b: '3' })).toBe(false);
    expect(labelsMatch([], undefined)).toBe(true);
  });

  it('rejects anything else with InvalidArgument', () => {
    expect(() => parsePruneFilters(['dangling=true'])).toThrow(/invalid prune filter/);
    expect(() => parsePruneFilters(['label='])).toThrow(/invalid prune filter/);
  });

  it('takes until=, which keeps images created since then', () => {
    const [f] = parsePruneFilters(['until=2025-01-01T00:00:00Z']);
    expect(f).toEqual({ kind: 'until', beforeMs: Date.parse('2025-01-01T00:00:00Z') });
    expect(createdBefore([f!], '2024-12-31T00:00:00Z')).toBe(true);
    expect(createdBefore([f!], '2025-06-01T00:00:00Z')).toBe(false);
  });
});
