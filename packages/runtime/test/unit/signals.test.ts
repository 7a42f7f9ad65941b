import { describe, expect, it } from 'vitest';
import { isInvalidArgument } from '@tscr/api';
import { parseSignal } from '@tscr/runtime';

describe('parseSignal', () => {
  it('accepts names with or without SIG, any case, and numbers', () => {
    expect(parseSignal('SIGTERM')).toBe(15);
    expect(parseSignal('TERM')).toBe(15);
    expect(parseSignal('kill')).toBe(9);
    expect(parseSignal('sigusr1')).toBe(10);
    expect(parseSignal('9')).toBe(9);
    expect(parseSignal('34')).toBe(34);
  });
  it('rejects anything else with InvalidArgument', () => {
    for (const bad of ['', 'SIGNOPE', '0', '65', '-1', '1.5']) {
      let caught: unknown;
      try {
        parseSignal(bad);
      } catch (err) {
        caught = err;
      }
      expect(isInvalidArgument(caught), bad).toBe(true);
    }
  });
});
