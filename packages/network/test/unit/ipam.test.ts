import { describe, expect, it } from 'vitest';
import { isFailedPrecondition, isInvalidArgument, isUnavailable } from '@tscr/api';
import {
  allocateAddress,
  formatCidr,
  formatIp,
  macFor,
  overlaps,
  parseCidr,
  parseIp,
  pickSubnet,
} from '../../src/local/ipam.js';

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('did not throw');
}

describe('IPAM', () => {
  it('parses and formats addresses and prefixes', () => {
    expect(formatIp(parseIp('172.30.4.9'))).toBe('172.30.4.9');
    expect(formatCidr(parseCidr('10.0.0.0/8'))).toBe('10.0.0.0/8');
    for (const bad of ['1.2.3', '256.1.1.1', 'a.b.c.d', ''])
      expect(isInvalidArgument(thrown(() => parseIp(bad)))).toBe(true);
    for (const bad of ['10.0.0.0', '10.0.0.0/33', '10.0.0.0/x', 'nope/24', '10.0.0.1/24']) {
      expect(isInvalidArgument(thrown(() => parseCidr(bad)))).toBe(true);
    }
  });

  it('tells overlapping prefixes apart', () => {
    expect(overlaps(parseCidr('10.1.0.0/16'), parseCidr('10.1.2.0/24'))).toBe(true);
    expect(overlaps(parseCidr('10.1.2.0/24'), parseCidr('10.1.3.0/24'))).toBe(false);
  });

  it('picks the first /24 of the pool that overlaps nothing taken', () => {
    const pool = parseCidr('172.30.0.0/16');
    const taken = [parseCidr('172.30.0.0/24'), parseCidr('172.30.1.0/25'), parseCidr('172.30.2.7/32')];
    expect(formatCidr(pickSubnet(pool, 24, taken))).toBe('172.30.3.0/24');
    const full = Array.from({ length: 4 }, (_, i) => parseCidr(`10.9.${i}.0/24`));
    expect(isUnavailable(thrown(() => pickSubnet(parseCidr('10.9.0.0/22'), 24, full)))).toBe(true);
  });

  it('hands out each address once, skipping network, broadcast and gateway', () => {
    const space = { subnet: parseCidr('10.5.0.0/29'), gateway: parseIp('10.5.0.1') };
    const used = new Set<number>();
    const got: string[] = [];
    for (let i = 0; i < 5; i++) {
      const ip = allocateAddress(space, used);
      used.add(ip);
      got.push(formatIp(ip));
    }
    expect(got).toEqual(['10.5.0.2', '10.5.0.3', '10.5.0.4', '10.5.0.5', '10.5.0.6']);
    expect(isUnavailable(thrown(() => allocateAddress(space, used)))).toBe(true);
    used.delete(parseIp('10.5.0.4'));
    expect(formatIp(allocateAddress(space, used))).toBe('10.5.0.4');
  });

  it('honours an ip range and checks asked-for addresses', () => {
    const space = { subnet: parseCidr('10.6.0.0/24'), gateway: parseIp('10.6.0.1'), range: parseCidr('10.6.0.128/25') };
    expect(formatIp(allocateAddress(space, new Set()))).toBe('10.6.0.128');
    expect(formatIp(allocateAddress(space, new Set(), parseIp('10.6.0.9')))).toBe('10.6.0.9');
    expect(isInvalidArgument(thrown(() => allocateAddress(space, new Set(), parseIp('10.7.0.9'))))).toBe(true);
    expect(isInvalidArgument(thrown(() => allocateAddress(space, new Set(), parseIp('10.6.0.1'))))).toBe(true);
    expect(isInvalidArgument(thrown(() => allocateAddress(space, new Set(), parseIp('10.6.0.255'))))).toBe(true);
    const used = new Set([parseIp('10.6.0.9')]);
    expect(isFailedPrecondition(thrown(() => allocateAddress(space, used, parseIp('10.6.0.9'))))).toBe(true);
  });

  it('derives Docker-style MAC addresses', () => {
    expect(macFor(parseIp('172.30.0.2'))).toBe('02:42:ac:1e:00:02');
  });
});
