import { describe, expect, it } from 'vitest';
import { isInvalidArgument } from '@tscr/api';
import { parsePortSpec } from '@tscr/network';
import { DnsServer, nameservers, parseQuery } from '../../src/local/dns.js';
import { renderPurge, renderRules } from '../../src/local/firewall.js';
import type { NetworkState } from '../../src/local/state.js';

/** A DNS query for `name` of type `type` (1 = A, 28 = AAAA). */
function query(name: string, type = 1, id = 0x1234): Buffer {
  const labels = name.split('.').map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l)]));
  const header = Buffer.from([id >> 8, id & 0xff, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]);
  return Buffer.concat([header, ...labels, Buffer.from([0, 0, type, 0, 1])]);
}

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('did not throw');
}

describe('DNS server', () => {
  const server = new DnsServer(
    '127.0.0.1',
    (n) => (n === 'web' ? ['172.30.0.5'] : undefined),
    () => [],
  );

  it('parses queries and refuses garbage', () => {
    expect(parseQuery(query('Web.Example'))).toMatchObject({ id: 0x1234, name: 'web.example', type: 1 });
    expect(parseQuery(Buffer.from([1, 2, 3]))).toBeUndefined();
  });

  it('answers known names with A records and AAAA with an empty answer', async () => {
    const reply = (await server.handle(query('web')))!;
    expect(reply.readUInt16BE(0)).toBe(0x1234);
    expect(reply.readUInt16BE(2) & 0x000f).toBe(0);
    expect(reply.readUInt16BE(6)).toBe(1);
    expect([...reply.subarray(reply.length - 4)]).toEqual([172, 30, 0, 5]);
    const aaaa = (await server.handle(query('web', 28)))!;
    expect(aaaa.readUInt16BE(6)).toBe(0);
  });

  it('answers unknown single-label names with NXDOMAIN without asking upstream', async () => {
    const reply = (await server.handle(query('nobody')))!;
    expect(reply.readUInt16BE(2) & 0x000f).toBe(3);
  });

  it('reads nameservers from resolv.conf text', () => {
    expect(nameservers('# x\nnameserver 10.0.0.1\nsearch a\nnameserver  10.0.0.2\nnameserver ::1\n')).toEqual([
      '10.0.0.1',
      '10.0.0.2',
    ]);
  });
});

describe('port specs', () => {
  it('parses docker -p forms', () => {
    expect(parsePortSpec('8080:80')).toEqual({ containerPort: 80, protocol: 'tcp', hostIp: '', hostPort: 8080 });
    expect(parsePortSpec('127.0.0.1::53/udp')).toEqual({
      containerPort: 53,
      protocol: 'udp',
      hostIp: '127.0.0.1',
      hostPort: 0,
    });
    expect(parsePortSpec('80')).toEqual({ containerPort: 80, protocol: 'tcp', hostIp: '', hostPort: 0 });
  });

  it('rejects malformed specs', () => {
    for (const bad of ['70000:80', 'abc', '80:', '1:2:3:4', '80/sctp', '0:80', '300.1.1.1:80:80', '']) {
      expect(isInvalidArgument(thrown(() => parsePortSpec(bad))), bad).toBe(true);
    }
  });
});

describe('iptables rules', () => {
  const state: NetworkState = {
    version: 1,
    networks: [
      {
        id: 'a',
        name: 'a',
        driver: 'bridge',
        created: '',
        labels: {},
        options: {},
        internal: false,
        builtin: true,
        subnet: '172.30.0.0/24',
        gateway: '172.30.0.1',
        bridge: 'tt0',
      },
      {
        id: 'b',
        name: 'b',
        driver: 'bridge',
        created: '',
        labels: {},
        options: {},
        internal: true,
        builtin: false,
        subnet: '172.30.1.0/24',
        gateway: '172.30.1.1',
        bridge: 'tt-bbbbbbbb',
      },
    ],
    attachments: {
      c: {
        containerId: 'c',
        name: 'c',
        kind: 'own',
        netns: '/x',
        endpoints: [
          {
            networkId: 'a',
            aliases: [],
            ip: '172.30.0.2',
            mac: '',
            ifname: 'eth0',
            hostIf: 'vtt00000000',
            staticIp: false,
          },
        ],
        ports: [{ containerPort: 80, protocol: 'tcp', hostIp: '127.0.0.1', hostPort: 8080 }],
      },
    },
  };

  it('renders NAT only for routed networks, drops for internal ones, DNAT per published port, jumps once', () => {
    const text = renderRules('tt', state, '');
    expect(text).toContain('-A TT-POST -s 172.30.0.0/24 ! -o tt0 -j MASQUERADE');
    expect(text).not.toContain('-s 172.30.1.0/24 ! -o tt-bbbbbbbb -j MASQUERADE');
    expect(text).toContain('-A TT-FWD -i tt-bbbbbbbb ! -o tt-bbbbbbbb -j DROP');
    expect(text).toContain('-A TT-ISO -o tt0 -j DROP');
    expect(text).toContain(
      '-A TT-DNAT -d 127.0.0.1/32 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 172.30.0.2:80',
    );
    expect(text).toContain('-I FORWARD 1 -j TT-FWD');
    const again = renderRules('tt', state, '-A FORWARD -j TT-FWD\n-A POSTROUTING -j TT-POST');
    expect(again).not.toContain('FORWARD 1');
    expect(again).not.toContain('-A POSTROUTING -j TT-POST');
  });

  it('purges only what exists', () => {
    const existing = ':TT-FWD - [0:0]\n-A FORWARD -j TT-FWD\n';
    const text = renderPurge('tt', existing);
    expect(text).toContain('-D FORWARD -j TT-FWD');
    expect(text).toContain('-X TT-FWD');
    expect(text).not.toContain('TT-DNAT');
  });
});
