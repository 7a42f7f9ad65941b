import { describe, expect, it } from 'vitest';
import { parseArgs, type FlagSpec } from '../../src/args.js';
import { isUsageError } from '../../src/errors.js';

const specs: FlagSpec[] = [
  { name: 'rm', type: 'bool', description: '' },
  { name: 'detach', short: 'd', type: 'bool', description: '' },
  { name: 'interactive', short: 'i', type: 'bool', description: '' },
  { name: 'tty', short: 't', type: 'bool', description: '' },
  { name: 'env', short: 'e', type: 'list', description: '' },
  { name: 'name', type: 'string', description: '' },
  { name: 'stop-timeout', type: 'int', description: '' },
  { name: 'network', type: 'string', aliases: ['net'], description: '' },
];

function usageFailure(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(isUsageError(err)).toBe(true);
    return (err as Error).message;
  }
  throw new Error('expected a usage error');
}

describe('parseArgs', () => {
  it('reads long flags in both forms, repeated lists and ints', () => {
    const r = parseArgs(['--name', 'web', '--env=A=1', '-e', 'B=2', '--stop-timeout', '5', 'img'], specs);
    expect(r.flags).toEqual({ name: 'web', env: ['A=1', 'B=2'], 'stop-timeout': 5 });
    expect(r.positionals).toEqual(['img']);
  });

  it('expands short clusters and attached values', () => {
    const r = parseArgs(['-itd', '-eK=V', '-e=X=1'], specs);
    expect(r.flags).toEqual({ interactive: true, tty: true, detach: true, env: ['K=V', 'X=1'] });
  });

  it('a value flag at the end of a cluster takes the next argument', () => {
    expect(parseArgs(['-de', 'A=1'], specs).flags).toEqual({ detach: true, env: ['A=1'] });
  });

  it('accepts explicit booleans and aliases', () => {
    expect(parseArgs(['--rm=false', '--net', 'host'], specs).flags).toEqual({ rm: false, network: 'host' });
    expect(usageFailure(() => parseArgs(['--rm=maybe'], specs))).toMatch(/expected true or false/);
  });

  it('stops at the first positional when asked, so the command keeps its flags', () => {
    const r = parseArgs(['--rm', 'busybox:test', 'sh', '-c', 'exit 3', '--rm'], specs, { stopAtPositional: true });
    expect(r.flags).toEqual({ rm: true });
    expect(r.positionals).toEqual(['busybox:test', 'sh', '-c', 'exit 3', '--rm']);
  });

  it('keeps reading flags after positionals otherwise', () => {
    expect(parseArgs(['a', '--rm', 'b'], specs)).toEqual({ flags: { rm: true }, positionals: ['a', 'b'] });
  });

  it('treats -- as the end of flags and - as a positional', () => {
    expect(parseArgs(['-', '--', '--rm'], specs).positionals).toEqual(['-', '--rm']);
  });

  it('rejects unknown flags, missing values and bad integers as usage errors', () => {
    expect(usageFailure(() => parseArgs(['--nope'], specs))).toBe('unknown flag: --nope');
    expect(usageFailure(() => parseArgs(['-x'], specs))).toMatch(/unknown shorthand flag: 'x'/);
    expect(usageFailure(() => parseArgs(['--name'], specs))).toBe('flag needs an argument: --name');
    expect(usageFailure(() => parseArgs(['--stop-timeout', 'soon'], specs))).toMatch(/not an integer/);
  });

  it('does not take values for a string flag from a later flag silently', () => {
    // docker takes the next word as the value even if it looks like a flag.
    expect(parseArgs(['--name', '--rm'], specs).flags).toEqual({ name: '--rm' });
  });
});
