// biome-ignore-all lint/suspicious/noTemplateCurlyInString: Dockerfile text holds ${VAR} substitutions
import { describe, expect, it } from 'vitest';
import { parsePairs, processWord, processWords } from '../../src/index.js';

const vars = new Map([
  ['A', 'a'],
  ['EMPTY', ''],
  ['SP', 'x y'],
]);

describe('variable substitution', () => {
  it('substitutes $VAR and ${VAR}, leaves single quotes alone and honours escapes', () => {
    expect(processWord('$A-${A}-$NONE-end', vars)).toBe('a-a--end');
    expect(processWord('\'$A\' "$A" \\$A', vars)).toBe('$A a $A');
    expect(processWord('${A}b$', vars)).toBe('ab$');
  });

  it('supports :-, -, :+, + and :?', () => {
    expect(processWord('${NONE:-dflt} ${EMPTY:-dflt} ${EMPTY-dflt} ${A:-dflt}', vars)).toBe('dflt dflt  a');
    expect(processWord('${A:+alt} ${EMPTY:+alt} ${EMPTY+alt} ${NONE+alt}', vars)).toBe('alt  alt ');
    expect(processWord('${NONE:-$A}', vars)).toBe('a');
    expect(() => processWord('${NONE:?must be set}', vars)).toThrow(/NONE: must be set/);
    expect(() => processWord('${A', vars)).toThrow(/missing '}'/);
  });

  it('splits words at unquoted whitespace only, after substitution of quoted parts', () => {
    expect(processWords('a "b c" $SP d\\ e', vars)).toEqual(['a', 'b c', 'x y', 'd e']);
  });

  it('reads KEY=value pairs and the legacy KEY value form', () => {
    expect(parsePairs('X=1 Y="two words" Z=$A', vars)).toEqual([
      ['X', '1'],
      ['Y', 'two words'],
      ['Z', 'a'],
    ]);
    expect(parsePairs('X hello  $A', vars)).toEqual([['X', 'hello  a']]);
    expect(() => parsePairs('X=1 =2', vars)).toThrow(/KEY=value/);
  });
});
