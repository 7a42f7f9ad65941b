import { describe, expect, it } from 'vitest';
import { parseKeyValues, parseProcCgroup } from '../../src/local/cgroups.js';
import { parseProcPidStat, ttyName } from '../../src/local/processes.js';
import { parseBlkioV1, parseIoStatV2, parseNetDev, parseProcStat } from '../../src/local/stats.js';

describe('cgroup and /proc parsing', () => {
  it('maps /proc/<pid>/cgroup lines to v1 controller directories (hybrid) or the v2 directory', () => {
    const text =
      '12:pids:/tscr/abc\n4:cpu,cpuacct:/tscr/abc\n3:memory:/tscr/abc\n1:name=systemd:/tscr/abc\n0::/tscr/abc\n';
    const v1 = parseProcCgroup(text, false);
    expect(v1.v1.get('memory')).toBe('/sys/fs/cgroup/memory/tscr/abc');
    expect(v1.v1.get('cpuacct')).toBe('/sys/fs/cgroup/cpu,cpuacct/tscr/abc');
    expect(v1.v1.get('systemd')).toBe('/sys/fs/cgroup/name=systemd/tscr/abc');
    expect(v1.v2).toBeUndefined();
    expect(parseProcCgroup('0::/tscr/abc\n', true).v2).toBe('/sys/fs/cgroup/tscr/abc');
  });

  it('reads key/value files, net/dev without loopback, blkio and io.stat', () => {
    expect(parseKeyValues('cache 10\ntotal_inactive_file 4096\n').get('total_inactive_file')).toBe(4096);
    const netDev = [
      'Inter-|   Receive                                                |  Transmit',
      ' face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed',
      '    lo:    1000      10    0    0    0     0          0         0     1000      10    0    0    0     0       0          0',
      '  eth0:    2048      12    0    0    0     0          0         0      512       5    0    0    0     0       0          0',
    ].join('\n');
    expect(parseNetDev(netDev)).toEqual({ rx: 2048, tx: 512 });
    expect(parseBlkioV1('8:0 Read 100\n8:0 Write 50\n8:0 Sync 150\n8:16 Read 1\nTotal 151\n')).toEqual({
      read: 101,
      write: 50,
    });
    expect(parseIoStatV2('8:0 rbytes=10 wbytes=20 rios=1 wios=2\n8:16 rbytes=1 wbytes=2\n')).toEqual({
      read: 11,
      write: 22,
    });
  });

  it('sums host CPU time from /proc/stat in microseconds and counts CPUs', () => {
    const text = 'cpu  100 0 100 800 0 0 0 0 0 0\ncpu0 50 0 50 400 0 0 0 0 0 0\ncpu1 50 0 50 400 0 0 0 0 0 0\n';
    expect(parseProcStat(text)).toEqual({ systemCpuUs: 1000 * 10_000, onlineCpus: 2 });
  });

  it('parses /proc/<pid>/stat with odd command names, and tty numbers', () => {
    const stat = '42 (my (odd) cmd) S 1 42 42 34816 42 4194560 100 0 0 0 7 3 0 0 20 0 1 0 5000 1000 10';
    expect(parseProcPidStat(stat)).toEqual({
      comm: 'my (odd) cmd',
      ppid: 1,
      ttyNr: 34816,
      cpuTicks: 10,
      startTicks: 5000,
    });
    expect(ttyName(34816)).toBe('pts/0');
    expect(ttyName(0)).toBe('?');
  });
});
