import { describe, expect, it } from 'vitest';
import { monitorArgs } from '../../src/local/conmon.js';

const base = {
  conmonPath: 'conmon',
  id: 'c1',
  runtimePath: '/usr/sbin/runc',
  runtimeArgs: ['--root', '/run/r'],
  bundle: '/b',
  logPath: '/b/ctr.log',
  exitDir: '/x',
  socketDir: '/s',
};

describe('monitorArgs', () => {
  it('asks for --sync only when the starter reaps the monitor (the relay)', () => {
    expect(monitorArgs({ ...base, sync: true })).toContain('--sync');
    expect(monitorArgs(base)).not.toContain('--sync');
    expect(monitorArgs({ ...base, sync: false })).not.toContain('--sync');
  });

  it('keeps what the daemon relies on: exit dir, attach sockets, the k8s-file log, runtime arguments', () => {
    const args = monitorArgs({ ...base, sync: true, terminal: true, stdin: true, leaveStdinOpen: true });
    expect(args.slice(args.indexOf('--exit-dir'), args.indexOf('--exit-dir') + 2)).toEqual(['--exit-dir', '/x']);
    expect(args).toContain('k8s-file:/b/ctr.log');
    expect(args.join(' ')).toContain('--runtime-arg --root --runtime-arg /run/r');
    expect(args).toEqual(expect.arrayContaining(['-t', '-i', '--leave-stdin-open', '--socket-dir-path', '/s']));
    expect(args).not.toContain('--persist-dir');
  });
});
