import { describe, expect, it } from 'vitest';
import { fuzz, parsesOrRefuses, tokenString } from '@tscr/testkit';
import { parsePortSpec } from '../../src/index.js';

describe('fuzz: -p port specs', () => {
  it('parses to ports in range or refuses with InvalidArgument', async () => {
    const tokens = [
      '80',
      '0',
      '65535',
      '65536',
      '-1',
      '1e3',
      '00080',
      '127.0.0.1',
      '::1',
      '[::1]',
      '999.1.1.1',
      ':',
      '/',
      'tcp',
      'udp',
      'sctp',
      'TCP',
      '-',
      '8000-8010',
      ' ',
    ];
    await fuzz(
      'port spec (-p)',
      tokenString(tokens, 7),
      (s) => {
        const p = parsesOrRefuses(() => parsePortSpec(s));
        if (!p) return;
        expect(p.containerPort >= 1 && p.containerPort <= 65535).toBe(true);
        expect(p.hostPort >= 0 && p.hostPort <= 65535).toBe(true);
        expect(['tcp', 'udp']).toContain(p.protocol);
      },
      { kind: 'port/volume/mount/tmpfs/ulimit/device spec', runs: 2000 },
    );
  });
});
