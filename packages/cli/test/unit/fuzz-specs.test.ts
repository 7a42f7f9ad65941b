import { describe, expect, it } from 'vitest';
import { invalidArgument, type Resources } from '@tscr/api';
import { processRlimits, validateResources, validateTaskOptions, type HostFacts } from '@tscr/runtime/local';
import { fc, fuzz, parsesOrRefuses, regression, tokenString } from '@tscr/testkit';
import { parseBytes, parseCpus, parseDevice, parseUlimit } from '../../src/commands/resource-flags.js';

const NUMBERS = [
  '0',
  '1',
  '-1',
  '-2',
  '1024',
  '65535',
  '99999999999999999999',
  '9007199254740993',
  '1e3',
  '1.5',
  '.5',
  ' ',
];

/** Host facts without touching the host: every absolute path under /dev is a device. */
const facts: HostFacts = {
  cgroupVersion: 'v1',
  hardLimits: new Map([['nofile', 1_048_576]]),
  lastCap: 40,
  onlineCpus: 2,
  device(path) {
    if (!path.startsWith('/dev/')) throw invalidArgument(`${path} is not a device`);
    return { path, type: 'c', major: 1, minor: 3, fileMode: 0o666, uid: 0, gid: 0 };
  },
  hostDevices: () => [],
};

describe('fuzz: --ulimit, --device, sizes and --cpus', () => {
  it('--ulimit parses or refuses, and what it parses the runtime accepts or refuses with InvalidArgument', async () => {
    await fuzz(
      'ulimit spec',
      tokenString(['nofile', 'nproc', 'core', 'NOFILE', 'rlimit_stack', 'bogus', '=', ':', ...NUMBERS], 8),
      (s) => {
        const u = parsesOrRefuses(() => parseUlimit(s));
        if (!u) return;
        const limits = parsesOrRefuses(() => processRlimits([u], facts.hardLimits));
        for (const l of limits ?? []) {
          expect(Number.isSafeInteger(l.soft) && Number.isSafeInteger(l.hard)).toBe(true);
          expect(l.soft).toBeLessThanOrEqual(l.hard);
        }
      },
      { kind: 'port/volume/mount/tmpfs/ulimit/device spec', runs: 1500 },
    );
  });

  it('--device parses or refuses; the runtime accepts the result or refuses it', async () => {
    await fuzz(
      'device spec',
      tokenString(['/dev/null', '/dev/fuse', '/x', 'dev', ':', 'r', 'w', 'm', 'rwm', 'q', '/', '..', ''], 6),
      (s) => {
        const d = parsesOrRefuses(() => parseDevice(s));
        if (!d) return;
        expect(d.pathOnHost.startsWith('/') && d.pathInContainer.startsWith('/')).toBe(true);
        const spec = { id: 'x', bundle: '/x', resources: { devices: [d] } } as unknown as Parameters<
          typeof validateTaskOptions
        >[0];
        parsesOrRefuses(() => validateTaskOptions(spec, facts));
      },
      { kind: 'port/volume/mount/tmpfs/ulimit/device spec', runs: 1000 },
    );
  });

  it('sizes and --cpus parse to safe numbers or refuse; validateResources accepts or refuses them', async () => {
    await fuzz(
      'size and cpus spec',
      fc.tuple(
        tokenString(['k', 'm', 'g', 't', 'p', 'b', 'i', 'KiB', ...NUMBERS], 5),
        fc.constantFrom('memory', 'memorySwap', 'memoryReservation', 'shmSize'),
      ),
      ([s, field]) => {
        const bytes = parsesOrRefuses(() => parseBytes(s, 'memory', true));
        if (bytes !== undefined) {
          expect(Number.isSafeInteger(bytes)).toBe(true);
          const r: Resources = field === 'shmSize' ? {} : { [field]: bytes };
          parsesOrRefuses(() => validateResources(r, 2));
        }
        const cpus = parsesOrRefuses(() => parseCpus(s));
        if (cpus !== undefined) parsesOrRefuses(() => validateResources({ nanoCpus: cpus }, 2));
      },
      { kind: 'port/volume/mount/tmpfs/ulimit/device spec', runs: 1500 },
    );
  });
});

describe('fuzz regressions (--ulimit)', () => {
  it('a ulimit beyond 2^53 is refused, not passed on as an inexact number', () => {
    regression(
      'port/volume/mount/tmpfs/ulimit/device spec',
      '`--ulimit nofile=99999999999999999999` parsed to 1e20 (an integer to JS, but not exact) and reached the OCI spec; now InvalidArgument at the CLI and in the runtime',
    );
    expect(() => parseUlimit('nofile=99999999999999999999')).toThrow(
      expect.objectContaining({ code: 'InvalidArgument' }),
    );
    expect(() => processRlimits([{ name: 'core', soft: 1e20, hard: 1e20 }], new Map())).toThrow(
      expect.objectContaining({ code: 'InvalidArgument' }),
    );
  });
});
