import { describe, expect, it } from 'vitest';
import type { HostConfig } from '@tscr/api';
import { parseArgs } from '../../src/args.js';
import { containerFlags } from '../../src/commands/container-flags.js';
import {
  applyResourceFlags,
  limitsFromFlags,
  parseBytes,
  parseCpus,
  parseDevice,
  parseUlimit,
} from '../../src/commands/resource-flags.js';
import { splitCpArg } from '../../src/commands/filesystem.js';

describe('resource flags', () => {
  it('parses sizes as docker does (binary units)', () => {
    expect(parseBytes('16m', 'memory')).toBe(16 * 1024 * 1024);
    expect(parseBytes('1.5g', 'memory')).toBe(1.5 * 1024 ** 3);
    expect(parseBytes('512', 'memory')).toBe(512);
    expect(parseBytes('-1', 'memory-swap', true)).toBe(-1);
    expect(() => parseBytes('-1', 'memory')).toThrow(/invalid size/);
    expect(() => parseBytes('lots', 'memory')).toThrow(/invalid size/);
  });

  it('parses cpus, ulimits and devices', () => {
    expect(parseCpus('1.5')).toBe(1.5e9);
    expect(() => parseCpus('-1')).toThrow();
    expect(parseUlimit('nofile=1024:2048')).toEqual({ name: 'nofile', soft: 1024, hard: 2048 });
    expect(parseUlimit('nproc=100')).toEqual({ name: 'nproc', soft: 100, hard: 100 });
    expect(() => parseUlimit('nofile')).toThrow();
    expect(parseDevice('/dev/fuse')).toEqual({
      pathOnHost: '/dev/fuse',
      pathInContainer: '/dev/fuse',
      cgroupPermissions: 'rwm',
    });
    expect(parseDevice('/dev/fuse:r')).toMatchObject({ pathInContainer: '/dev/fuse', cgroupPermissions: 'r' });
    expect(parseDevice('/dev/a:/dev/b:rw')).toMatchObject({ pathInContainer: '/dev/b', cgroupPermissions: 'rw' });
    expect(() => parseDevice('dev/a')).toThrow();
  });

  it('turns run flags into HostConfig fields', () => {
    const { flags } = parseArgs(
      [
        '-m',
        '64m',
        '--memory-swap=-1',
        '--cpus',
        '0.5',
        '--pids-limit',
        '20',
        '--ulimit',
        'nofile=100:200',
        '--cap-drop',
        'ALL',
        '--cap-add',
        'CHOWN',
        '--security-opt',
        'no-new-privileges',
        '--init',
        '--group-add',
        'audio',
        '--shm-size',
        '128m',
        '--sysctl',
        'net.ipv4.ip_forward=1',
        '--privileged',
      ],
      containerFlags,
    );
    const h: HostConfig = {};
    applyResourceFlags(flags, h);
    expect(h).toEqual({
      memory: 64 * 1024 * 1024,
      memorySwap: -1,
      nanoCpus: 5e8,
      pidsLimit: 20,
      ulimits: [{ name: 'nofile', soft: 100, hard: 200 }],
      capDrop: ['ALL'],
      capAdd: ['CHOWN'],
      privileged: true,
      securityOpt: ['no-new-privileges'],
      init: true,
      groupAdd: ['audio'],
      shmSize: 128 * 1024 * 1024,
      sysctls: { 'net.ipv4.ip_forward': '1' },
    });
    expect(limitsFromFlags({})).toEqual({});
  });

  it('splits cp arguments into container and path', () => {
    expect(splitCpArg('ctr:/etc/passwd')).toEqual({ container: 'ctr', path: '/etc/passwd' });
    expect(splitCpArg('/host/path')).toEqual({ path: '/host/path' });
    expect(splitCpArg('./a:b')).toEqual({ path: './a:b' });
    expect(splitCpArg('-')).toEqual({ path: '-' });
  });
});
