import { describe, expect, it } from 'vitest';
import { FAILPOINTS, armedFailpoints, errorCode, failpoint, parseFailpoints } from '@tscr/api';

describe('failpoints', () => {
  it('parses name=action lists; a bare name means kill', () => {
    const armed = parseFailpoints(' container.create.after-snapshot=exit, image.pull.mid-layer ,');
    expect([...armed]).toEqual([
      ['container.create.after-snapshot', 'exit'],
      ['image.pull.mid-layer', 'kill'],
    ]);
    expect(parseFailpoints(undefined).size).toBe(0);
    expect(parseFailpoints('').size).toBe(0);
  });

  it('refuses unknown names and actions with InvalidArgument', () => {
    const code = (text: string) => {
      try {
        parseFailpoints(text);
        return 'none';
      } catch (err) {
        return errorCode(err);
      }
    };
    expect(code('container.nope')).toBe('InvalidArgument');
    expect(code('container.create.after-record=panic')).toBe('InvalidArgument');
  });

  it('names every failpoint as layer.operation[.step], with what has happened by then', () => {
    for (const [name, text] of Object.entries(FAILPOINTS)) {
      expect(name).toMatch(/^[a-z]+(\.[a-z-]+){1,2}$/);
      expect(text.length).toBeGreaterThan(10);
    }
  });

  it('does nothing when none is armed (the variable is unset in tests)', () => {
    expect(process.env.TSCR_FAILPOINTS).toBeUndefined();
    expect(armedFailpoints().size).toBe(0);
    for (const name of Object.keys(FAILPOINTS)) failpoint(name as keyof typeof FAILPOINTS);
  });
});
