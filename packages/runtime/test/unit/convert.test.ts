import { describe, expect, it } from 'vitest';
import { runtimeV1 } from '@tscr/api/grpc';
import type { TaskSpec, TaskState } from '@tscr/runtime';
import { taskSpecFromProto, taskSpecToProto, taskStateFromProto, taskStateToProto } from '../../src/grpc/convert.js';

const wire = <T>(codec: { encode(m: T): { finish(): Uint8Array }; decode(b: Uint8Array): T }, m: T) =>
  codec.decode(codec.encode(m).finish());

describe('runtime gRPC conversion', () => {
  it('round-trips a full TaskSpec and a minimal one', () => {
    const full: TaskSpec = {
      id: 'a',
      rootfs: [{ type: 'overlay', source: 'overlay', options: ['lowerdir=/x'] }],
      process: { args: ['sh', '-c', 'x'], env: ['A=1'], cwd: '/w', user: 'tscr', terminal: true },
      hostname: 'h',
      readonlyRootfs: true,
      mounts: [{ destination: '/d', type: 'bind', source: '/s', options: ['rbind'] }],
      network: { mode: 'path', path: '/run/netns/n' },
      logPath: '/l',
      runtime: 'crun',
      annotations: { k: 'v' },
    };
    expect(taskSpecFromProto(wire(runtimeV1.TaskSpec, taskSpecToProto(full)))).toEqual(full);
    const min: TaskSpec = {
      id: 'b',
      rootfs: [],
      process: { args: ['true'], env: [], cwd: '/' },
      hostname: 'h',
      logPath: '/l',
    };
    expect(taskSpecFromProto(wire(runtimeV1.TaskSpec, taskSpecToProto(min)))).toEqual(min);
  });

  it('round-trips TaskState with and without an exit status', () => {
    const running: TaskState = { id: 'a', status: 'running', pid: 42, bundle: '/b', rootfs: '/b/rootfs' };
    expect(taskStateFromProto(wire(runtimeV1.TaskState, taskStateToProto(running)))).toEqual(running);
    const stopped: TaskState = {
      ...running,
      status: 'stopped',
      pid: 0,
      exitStatus: { exitCode: 0, exitedAt: '2026-11-28T14:54:19.041620841Z', oomKilled: true },
    };
    expect(taskStateFromProto(wire(runtimeV1.TaskState, taskStateToProto(stopped)))).toEqual(stopped);
  });
});

describe('shared namespaces and masked paths over the wire', () => {
  it('keeps them, and tells absent lists from empty ones', () => {
    const spec: TaskSpec = {
      id: 't',
      rootfs: [],
      process: { args: ['true'], env: [], cwd: '/' },
      hostname: '',
      logPath: '/l',
      namespaces: { ipc: '/proc/1/ns/ipc', uts: 'host' },
      security: { maskedPaths: [], readonlyPaths: ['/proc/sys'] },
    };
    const back = taskSpecFromProto(taskSpecToProto(spec));
    expect(back.namespaces).toEqual({ ipc: '/proc/1/ns/ipc', uts: 'host' });
    expect(back.security).toEqual({ maskedPaths: [], readonlyPaths: ['/proc/sys'] });
    const plain = taskSpecFromProto(
      taskSpecToProto({
        id: 't',
        rootfs: [],
        process: spec.process,
        hostname: '',
        logPath: '/l',
        security: { privileged: true },
      }),
    );
    expect(plain.namespaces).toBeUndefined();
    expect(plain.security).toEqual({ privileged: true });
  });
});
