import { describe, expect, it } from 'vitest';
import { createdBefore, isInvalidArgument, labelsMatch, parsePruneFilters } from '../../src/index.js';

describe('prune filters', () => {
  const now = BigInt(Date.parse('2026-01-02T00:00:00Z')) * 1_000_000n;

  it('parses labels (with negation and values) and until (durations, RFC 3339, Unix seconds)', () => {
    expect(parsePruneFilters(['label=a', 'label!=b=c'], now)).toEqual([
      { kind: 'label', key: 'a', negate: false },
      { kind: 'label', key: 'b', value: 'c', negate: true },
    ]);
    expect(parsePruneFilters(['until=24h'], now)).toEqual([
      { kind: 'until', beforeMs: Date.parse('2026-01-01T00:00:00Z') },
    ]);
    expect(parsePruneFilters(['until=2025-12-31T00:00:00Z'], now)[0]).toEqual({
      kind: 'until',
      beforeMs: Date.parse('2025-12-31T00:00:00Z'),
    });
    expect(parsePruneFilters(['until=1700000000'], now)[0]).toEqual({ kind: 'until', beforeMs: 1_700_000_000_000 });
  });

  it('matches labels and ages', () => {
    const f = parsePruneFilters(['label=a', 'label!=b=c', 'until=24h'], now);
    expect(labelsMatch(f, { a: '1' })).toBe(true);
    expect(labelsMatch(f, { a: '1', b: 'c' })).toBe(false);
    expect(labelsMatch(f, {})).toBe(false);
    expect(createdBefore(f, '2025-12-31T23:00:00Z')).toBe(true);
    expect(createdBefore(f, '2026-01-01T12:00:00Z')).toBe(false);
  });

  it('refuses other filters with InvalidArgument', () => {
    for (const bad of ['dangling=true', 'until=yesterday', 'label='])
      expect(
        isInvalidArgument(
          (() => {
            try {
              parsePruneFilters([bad], now);
            } catch (e) {
              return e;
            }
          })(),
        ),
      ).toBe(true);
  });
});
