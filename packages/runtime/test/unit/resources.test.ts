import { describe, expect, it } from 'vitest';
import { errorCode } from '@tscr/api';
import type { TaskSpec } from '@tscr/runtime';
import {
  ALL_CAPABILITIES,
  applyTaskOptions,
  buildOciSpec,
  capabilitySet,
  DEFAULT_CAPABILITIES,
  defaultSeccompProfile,
  type HostFacts,
  hostHardLimits,
  linuxResources,
  MIN_MEMORY_BYTES,
  processRlimits,
  updateResources,
  validateResources,
} from '@tscr/runtime/local';

const base: TaskSpec = {
  id: 'abc',
  rootfs: [{ type: 'overlay', source: 'overlay', options: ['lowerdir=/l'] }],
  process: { args: ['sh'], env: [], cwd: '/' },
  hostname: 'box',
  logPath: '/var/log/abc.log',
};
const opts = {
  rootfsPath: '/run/b/abc/rootfs',
  user: { uid: 0, gid: 0, additionalGids: [], home: '/' },
  cgroupParent: 'tscr',
  etcFiles: { hostname: '/run/b/abc/hostname', hosts: '/run/b/abc/hosts' },
  nofileHardLimit: 20000,
};

function facts(version: 'v1' | 'v2', extra: Partial<HostFacts> = {}): HostFacts {
  return {
    cgroupVersion: version,
    hardLimits: new Map([
      ['nofile', 20000],
      ['nproc', 5000],
    ]),
    lastCap: 40,
    onlineCpus: 2,
    initBinary: '/usr/bin/tini-static',
    device: (path) => {
      if (path !== '/dev/fuse') throw Object.assign(new Error('no'), { code: 'x' });
      return { path, type: 'c', major: 10, minor: 229, fileMode: 0o666, uid: 0, gid: 0 };
    },
    hostDevices: () => [{ path: '/dev/null', type: 'c', major: 1, minor: 3, fileMode: 0o666, uid: 0, gid: 0 }],
    ...extra,
  };
}

function build(spec: Partial<TaskSpec>, version: 'v1' | 'v2' = 'v1', extra: Partial<HostFacts> = {}) {
  const full = { ...base, ...spec };
  return applyTaskOptions(buildOciSpec(full, opts), full, facts(version, extra));
}

function codeOf(fn: () => unknown): string {
  try {
    fn();
    return 'ok';
  } catch (err) {
    return errorCode(err);
  }
}

const MiB = 1024 * 1024;

describe('spec generation: resources', () => {
  for (const version of ['v1', 'v2'] as const) {
    it(`maps memory, CPU, pids and blkio limits into linux.resources (${version})`, () => {
      const s = build(
        {
          resources: {
            memory: 64 * MiB,
            memoryReservation: 32 * MiB,
            nanoCpus: 1.5e9,
            cpuShares: 512,
            cpusetCpus: '0-1',
            cpusetMems: '0',
            pidsLimit: 20,
            blkioWeight: 300,
            oomKillDisable: true,
          },
        },
        version,
      );
      expect(s.linux.resources.memory).toEqual({
        limit: 64 * MiB,
        swap: 128 * MiB,
        reservation: 32 * MiB,
        ...(version === 'v1' ? { disableOOMKiller: true } : {}),
      });
      expect(s.linux.resources.cpu).toEqual({ shares: 512, period: 100000, quota: 150000, cpus: '0-1', mems: '0' });
      expect(s.linux.resources.pids).toEqual({ limit: 20 });
      expect(s.linux.resources.blockIO).toEqual({ weight: 300 });
      expect(s.linux.resources.devices[0]).toEqual({ allow: false, access: 'rwm' });
    });
  }

  it('leaves resources at deny-all devices when nothing is limited', () => {
    expect(build({}).linux.resources).toEqual({ devices: [{ allow: false, access: 'rwm' }] });
    expect(linuxResources(undefined, 'v2')).toEqual({ devices: [{ allow: false, access: 'rwm' }] });
  });

  it('uses an explicit swap, -1 meaning unlimited, and period/quota without --cpus', () => {
    const s = build({ resources: { memory: 10 * MiB, memorySwap: -1, cpuPeriod: 50000, cpuQuota: 25000 } });
    expect(s.linux.resources.memory).toEqual({ limit: 10 * MiB, swap: -1 });
    expect(s.linux.resources.cpu).toEqual({ period: 50000, quota: 25000 });
  });

  it('update documents carry no device rules and can lift a pids limit', () => {
    expect(updateResources({ pidsLimit: -1, memory: 8 * MiB }, 'v1')).toEqual({
      memory: { limit: 8 * MiB, swap: 16 * MiB },
      pids: { limit: -1 },
    });
  });
});

describe('validateResources', () => {
  const bad: [string, Parameters<typeof validateResources>[0]][] = [
    ['memory below 6 MiB', { memory: MIN_MEMORY_BYTES - 1 }],
    ['negative memory', { memory: -5 }],
    ['absurd memory', { memory: 2 ** 60 }],
    ['swap below memory', { memory: 64 * MiB, memorySwap: 32 * MiB }],
    ['swap without memory', { memorySwap: 64 * MiB }],
    ['reservation above memory', { memory: 8 * MiB, memoryReservation: 16 * MiB }],
    ['more CPUs than the host', { nanoCpus: 3e9 }],
    ['fractional CPUs below 0.01', { nanoCpus: 1e6 }],
    ['cpu shares out of range', { cpuShares: 1 }],
    ['cpu period too small', { cpuPeriod: 10 }],
    ['cpu quota too small', { cpuQuota: 10 }],
    ['bad cpuset', { cpusetCpus: 'a-b' }],
    ['unavailable cpuset', { cpusetCpus: '0-7' }],
    ['negative pids limit', { pidsLimit: -2 }],
    ['blkio weight out of range', { blkioWeight: 5000 }],
  ];
  for (const [what, r] of bad) {
    it(`refuses ${what} with InvalidArgument`, () => {
      expect(codeOf(() => validateResources(r, 2))).toBe('InvalidArgument');
    });
  }

  it('accepts sane limits', () => {
    expect(codeOf(() => validateResources({ memory: 6 * MiB, memorySwap: -1, nanoCpus: 2e9, pidsLimit: -1 }, 2))).toBe(
      'ok',
    );
  });
});

describe('rlimits', () => {
  it('keeps RLIMIT_NOFILE 1024 by default and adds --ulimit entries', () => {
    const s = build({
      resources: {
        ulimits: [
          { name: 'nproc', soft: 100, hard: 200 },
          { name: 'core', soft: 0, hard: 0 },
        ],
      },
    });
    expect(s.process.rlimits).toEqual([
      { type: 'RLIMIT_NOFILE', soft: 1024, hard: 1024 },
      { type: 'RLIMIT_NPROC', soft: 100, hard: 200 },
      { type: 'RLIMIT_CORE', soft: 0, hard: 0 },
    ]);
  });

  it('lets --ulimit nofile replace the default', () => {
    expect(processRlimits([{ name: 'nofile', soft: 4096, hard: 8192 }], new Map([['nofile', 20000]]))).toEqual([
      { type: 'RLIMIT_NOFILE', soft: 4096, hard: 8192 },
    ]);
  });

  it('refuses a hard limit above the host, an unknown name and soft > hard', () => {
    const host = new Map([['nofile', 20000]]);
    expect(codeOf(() => processRlimits([{ name: 'nofile', soft: 1, hard: 20001 }], host))).toBe('InvalidArgument');
    expect(codeOf(() => processRlimits([{ name: 'nofile', soft: -1, hard: -1 }], host))).toBe('InvalidArgument');
    expect(codeOf(() => processRlimits([{ name: 'bogus', soft: 1, hard: 1 }], host))).toBe('InvalidArgument');
    expect(codeOf(() => processRlimits([{ name: 'nproc', soft: 5, hard: 4 }], host))).toBe('InvalidArgument');
  });

  it('reads the host hard limits from /proc/self/limits text', () => {
    const text = [
      'Limit                     Soft Limit           Hard Limit           Units',
      'Max processes             63419                63419                processes',
      'Max open files            1024                 20000                files',
      'Max core file size        0                    unlimited            bytes',
    ].join('\n');
    const m = hostHardLimits(text);
    expect(m.get('nofile')).toBe(20000);
    expect(m.get('nproc')).toBe(63419);
    expect(m.has('core')).toBe(false);
  });
});

describe('spec generation: security', () => {
  it('drops and adds capabilities, with ALL on either side', () => {
    expect(capabilitySet({ capDrop: ['CHOWN'] }, 40)).toEqual(DEFAULT_CAPABILITIES.filter((c) => c !== 'CAP_CHOWN'));
    expect(capabilitySet({ capAdd: ['net_admin'] }, 40)).toContain('CAP_NET_ADMIN');
    expect(capabilitySet({ capDrop: ['ALL'], capAdd: ['KILL'] }, 40)).toEqual(['CAP_KILL']);
    expect(capabilitySet({ capAdd: ['ALL'] }, 37)).toEqual(ALL_CAPABILITIES.slice(0, 38));
    expect(capabilitySet({ privileged: true }, 40)).toEqual(ALL_CAPABILITIES);
    expect(codeOf(() => capabilitySet({ capAdd: ['NOPE'] }, 40))).toBe('InvalidArgument');
  });

  it('gives privileged and ALL only the capabilities the daemon holds', () => {
    const held = new Set(ALL_CAPABILITIES.filter((c) => c !== 'CAP_SYS_RESOURCE'));
    expect(capabilitySet({ privileged: true }, 40, held)).toEqual([...held]);
    expect(capabilitySet({ capAdd: ['ALL'] }, 40, held)).not.toContain('CAP_SYS_RESOURCE');
    expect(capabilitySet({ capAdd: ['SYS_RESOURCE'] }, 40, held)).not.toContain('CAP_SYS_RESOURCE');
  });

  it('applies the capability set to bounding, effective and permitted', () => {
    const s = build({ security: { capDrop: ['ALL'], capAdd: ['SETUID'] } });
    expect(s.process.capabilities).toEqual({
      bounding: ['CAP_SETUID'],
      effective: ['CAP_SETUID'],
      permitted: ['CAP_SETUID'],
    });
  });

  it('installs the default seccomp profile unless unconfined or privileged', () => {
    const s = build({});
    expect(s.linux.seccomp?.defaultAction).toBe('SCMP_ACT_ALLOW');
    const denied = s.linux.seccomp?.syscalls?.flatMap((r) => r.names) ?? [];
    expect(denied).toEqual(expect.arrayContaining(['mount', 'reboot', 'kexec_load', 'ptrace', 'clone3']));
    expect(build({ security: { securityOpt: ['seccomp=unconfined'] } }).linux.seccomp).toBeUndefined();
    expect(build({ security: { privileged: true } }).linux.seccomp).toBeUndefined();
  });

  it('lets a capability re-allow the calls it guards', () => {
    const names = (caps: string[]) => defaultSeccompProfile(caps).syscalls?.flatMap((r) => r.names) ?? [];
    expect(names(['CAP_SYS_ADMIN'])).not.toContain('mount');
    expect(names(['CAP_SYS_PTRACE'])).not.toContain('ptrace');
    expect(names([])).toContain('ptrace');
  });

  it('takes a custom seccomp profile as JSON', () => {
    const profile = { defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ names: ['read'], action: 'SCMP_ACT_ALLOW' }] };
    const s = build({ security: { securityOpt: [`seccomp=${JSON.stringify(profile)}`] } });
    expect(s.linux.seccomp).toEqual(profile);
    expect(codeOf(() => build({ security: { securityOpt: ['seccomp=/no/such.json'] } }))).toBe('InvalidArgument');
  });

  it('sets no-new-privileges from --security-opt and refuses unknown options', () => {
    expect(build({ security: { securityOpt: ['no-new-privileges'] } }).process.noNewPrivileges).toBe(true);
    expect(build({ security: { securityOpt: ['no-new-privileges:true'] } }).process.noNewPrivileges).toBe(true);
    expect(build({ security: { securityOpt: ['no-new-privileges=false'] } }).process.noNewPrivileges).toBe(false);
    expect(codeOf(() => build({ security: { securityOpt: ['bogus=1'] } }))).toBe('InvalidArgument');
  });

  it('privileged: every device, nothing masked, /sys writable', () => {
    const s = build({ security: { privileged: true } });
    expect(s.linux.resources.devices).toEqual([{ allow: true, access: 'rwm' }]);
    expect(s.linux.maskedPaths).toEqual([]);
    expect(s.linux.readonlyPaths).toEqual([]);
    expect(s.linux.devices?.map((d) => d.path)).toEqual(['/dev/null']);
    expect(s.mounts.find((m) => m.destination === '/sys')?.options).not.toContain('ro');
  });

  it('adds --device nodes with their cgroup rule, and refuses a non-device', () => {
    const s = build({
      resources: { devices: [{ pathOnHost: '/dev/fuse', pathInContainer: '/dev/f', cgroupPermissions: 'rw' }] },
    });
    expect(s.linux.devices).toEqual([
      { path: '/dev/f', type: 'c', major: 10, minor: 229, fileMode: 0o666, uid: 0, gid: 0 },
    ]);
    expect(s.linux.resources.devices[1]).toEqual({ allow: true, type: 'c', major: 10, minor: 229, access: 'rw' });
    expect(
      codeOf(() =>
        build({
          resources: { devices: [{ pathOnHost: '/dev/fuse', pathInContainer: '/dev/f', cgroupPermissions: 'rwx' }] },
        }),
      ),
    ).toBe('InvalidArgument');
  });

  it('--init bind-mounts the host init and puts it before argv', () => {
    const s = build({ security: { init: true } });
    expect(s.process.args).toEqual(['/sbin/docker-init', '--', 'sh']);
    expect(s.mounts.at(-1)).toEqual({
      destination: '/sbin/docker-init',
      type: 'bind',
      source: '/usr/bin/tini-static',
      options: ['rbind', 'ro', 'rprivate'],
    });
    expect(codeOf(() => build({ security: { init: true } }, 'v1', { initBinary: undefined }))).toBe('InvalidArgument');
  });

  it('sysctls: namespaced ones only; /dev/shm size; private cgroup namespace', () => {
    const s = build({
      security: {
        sysctls: { 'net.ipv4.ip_forward': '1', 'kernel.shmmax': '1000' },
        shmSize: 128 * MiB,
        cgroupnsMode: 'private',
      },
    });
    expect(s.linux.sysctl).toEqual({ 'net.ipv4.ip_forward': '1', 'kernel.shmmax': '1000' });
    expect(s.mounts.find((m) => m.destination === '/dev/shm')?.options).toContain(`size=${128 * MiB}`);
    expect(s.linux.namespaces).toContainEqual({ type: 'cgroup' });
    expect(codeOf(() => build({ security: { sysctls: { 'kernel.hostname': 'x' } } }))).toBe('InvalidArgument');
    expect(
      codeOf(() => build({ network: { mode: 'host' }, security: { sysctls: { 'net.ipv4.ip_forward': '1' } } })),
    ).toBe('InvalidArgument');
  });
});
