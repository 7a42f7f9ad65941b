import { describe, expect, it } from 'vitest';
import type { TaskSpec } from '@tscr/runtime';
import { buildOciSpec, DEFAULT_CAPABILITIES, hostsFile, processEnv } from '@tscr/runtime/local';

const base: TaskSpec = {
  id: 'abc',
  rootfs: [{ type: 'overlay', source: 'overlay', options: ['lowerdir=/l'] }],
  process: { args: ['sh'], env: ['FOO=bar'], cwd: '' },
  hostname: 'box',
  logPath: '/var/log/abc.log',
};
const opts = {
  rootfsPath: '/run/b/abc/rootfs',
  user: { uid: 1000, gid: 1000, additionalGids: [29], home: '/home/u' },
  cgroupParent: 'tscr',
  etcFiles: { hostname: '/run/b/abc/hostname', hosts: '/run/b/abc/hosts' },
  nofileHardLimit: 20000,
};

describe('buildOciSpec', () => {
  it('fills the process from the spec, the resolved user and defaults', () => {
    const s = buildOciSpec(base, opts);
    expect(s.process.args).toEqual(['sh']);
    expect(s.process.cwd).toBe('/');
    expect(s.process.user).toEqual({ uid: 1000, gid: 1000, additionalGids: [29] });
    expect(s.process.env).toEqual([
      'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
      'FOO=bar',
      'HOME=/home/u',
    ]);
    expect(s.process.capabilities.bounding).toEqual(DEFAULT_CAPABILITIES);
    expect(s.process.capabilities.effective).toContain('CAP_NET_BIND_SERVICE');
    expect(s.process.rlimits).toEqual([{ type: 'RLIMIT_NOFILE', hard: 1024, soft: 1024 }]);
    expect(s.hostname).toBe('box');
    expect(s.root).toEqual({ path: '/run/b/abc/rootfs', readonly: false });
  });

  it('never asks for more open files than the host allows', () => {
    expect(buildOciSpec(base, { ...opts, nofileHardLimit: 512 }).process.rlimits[0]).toEqual({
      type: 'RLIMIT_NOFILE',
      hard: 512,
      soft: 512,
    });
  });

  it('uses the cgroup parent and Docker-like masked and read-only paths', () => {
    const s = buildOciSpec(base, { ...opts, cgroupParent: '/tscr-test-x/' });
    expect(s.linux.cgroupsPath).toBe('/tscr-test-x/abc');
    expect(s.linux.maskedPaths).toContain('/proc/kcore');
    expect(s.linux.readonlyPaths).toContain('/proc/sys');
    expect(s.linux.resources.devices).toEqual([{ allow: false, access: 'rwm' }]);
  });

  it('creates a network namespace for none, joins one for path, none for host', () => {
    const net = (n: TaskSpec['network']) =>
      buildOciSpec({ ...base, network: n }, opts).linux.namespaces.filter((x) => x.type === 'network');
    expect(net(undefined)).toEqual([{ type: 'network' }]);
    expect(net({ mode: 'none' })).toEqual([{ type: 'network' }]);
    expect(net({ mode: 'host' })).toEqual([]);
    expect(net({ mode: 'path', path: '/run/netns/x' })).toEqual([{ type: 'network', path: '/run/netns/x' }]);
    const types = buildOciSpec(base, opts).linux.namespaces.map((n) => n.type);
    expect(types).toEqual(expect.arrayContaining(['pid', 'ipc', 'uts', 'mount']));
  });

  it('mounts the standard file systems, the /etc files, then the extra mounts', () => {
    const extra = { destination: '/data', type: 'bind', source: '/srv/data', options: ['rbind', 'ro'] };
    const s = buildOciSpec(
      { ...base, mounts: [extra], readonlyRootfs: true },
      { ...opts, etcFiles: { ...opts.etcFiles, resolvConf: '/run/b/abc/resolv.conf' } },
    );
    expect(s.mounts.map((m) => m.destination)).toEqual([
      '/proc',
      '/dev',
      '/dev/pts',
      '/sys',
      '/sys/fs/cgroup',
      '/dev/mqueue',
      '/dev/shm',
      '/etc/hostname',
      '/etc/hosts',
      '/etc/resolv.conf',
      '/data',
    ]);
    expect(s.mounts.find((m) => m.destination === '/sys')?.options).toContain('ro');
    expect(s.mounts.find((m) => m.destination === '/etc/hosts')).toEqual({
      destination: '/etc/hosts',
      type: 'bind',
      source: '/run/b/abc/hosts',
      options: ['rbind', 'rprivate', 'ro'],
    });
    expect(s.root.readonly).toBe(true);
  });

  it('neither mounts nor needs a generated /etc file that a mount of the spec puts at the same place', () => {
    const hosts = { destination: '/etc/hosts', type: 'bind', source: '/srv/c/hosts', options: ['rbind', 'rw'] };
    const s = buildOciSpec(
      { ...base, mounts: [hosts] },
      { ...opts, etcFiles: { ...opts.etcFiles, resolvConf: '/run/b/abc/resolv.conf' } },
    );
    const etc = s.mounts.filter((m) => m.destination.startsWith('/etc/'));
    expect(etc.map((m) => [m.destination, m.source])).toEqual([
      ['/etc/hostname', '/run/b/abc/hostname'],
      ['/etc/resolv.conf', '/run/b/abc/resolv.conf'],
      ['/etc/hosts', '/srv/c/hosts'],
    ]);
  });

  it('carries annotations only when there are some', () => {
    expect(buildOciSpec(base, opts).annotations).toBeUndefined();
    expect(buildOciSpec({ ...base, annotations: { a: 'b' } }, opts).annotations).toEqual({ a: 'b' });
  });
});

describe('processEnv and hostsFile', () => {
  it('keeps an explicit PATH and HOME', () => {
    expect(processEnv(['PATH=/x', 'HOME=/h'], '/root')).toEqual(['PATH=/x', 'HOME=/h']);
  });
  it('lists localhost and the hostname', () => {
    expect(hostsFile('box')).toBe('127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n127.0.0.1\tbox\n');
  });
});
