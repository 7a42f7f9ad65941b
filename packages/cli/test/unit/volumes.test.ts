import { describe, expect, it } from 'vitest';
import { isInvalidArgument, type ContainerInfo } from '@tscr/api';
import { parseMount } from '../../src/commands/container-flags.js';
import { volumeJson } from '@tscr/docker-api/json';
import { parseVolumeFilters } from '../../src/commands/volumes.js';
import { volumesFrom } from '../../src/commands/volumes-from.js';

describe('volume flags', () => {
  it('parses --mount volume options', () => {
    expect(parseMount('type=volume,src=v1,dst=/v,volume-nocopy,volume-opt=type=tmpfs,volume-driver=x')).toEqual({
      type: 'volume',
      source: 'v1',
      target: '/v',
      options: ['volume-nocopy', 'volume-opt=type=tmpfs', 'volume-driver=x'],
    });
    expect(() => parseMount('type=volume,dst=/v,volume-opt=novalue')).toThrow(/key=value/);
  });

  it('parses volume ls filters', () => {
    expect(parseVolumeFilters(['dangling=true', 'label=a', 'label=b=c', 'name=x', 'driver=local'])).toEqual({
      dangling: true,
      label: ['a', 'b=c'],
      name: ['x'],
      driver: ['local'],
    });
    for (const bad of [['dangling=maybe'], ['colour=red'], ['label=']]) {
      let err: unknown;
      try {
        parseVolumeFilters(bad);
      } catch (e) {
        err = e;
      }
      expect(isInvalidArgument(err)).toBe(true);
    }
  });

  it("shows a volume with Docker's field names", () => {
    const v = {
      name: 'v',
      driver: 'local',
      mountpoint: '/m',
      createdAt: 't',
      labels: {},
      options: { type: 'tmpfs' },
      usedBy: [],
    };
    expect(volumeJson(v)).toEqual({
      CreatedAt: 't',
      Driver: 'local',
      Labels: {},
      Mountpoint: '/m',
      Name: 'v',
      Options: { type: 'tmpfs' },
      Scope: 'local',
    });
  });

  it('takes volumes and binds from another container for --volumes-from', async () => {
    const info = {
      mounts: [
        { type: 'volume', name: 'n', source: '/var/v/n/_data', destination: '/n', rw: true },
        { type: 'bind', source: '/h', destination: '/h', rw: false },
        { type: 'tmpfs', source: 'tmpfs', destination: '/t', rw: true },
      ],
    } as unknown as ContainerInfo;
    const containers = { inspect: async () => info };
    expect(await volumesFrom(containers, ['c'])).toEqual([
      { type: 'volume', source: 'n', target: '/n' },
      { type: 'bind', source: '/h', target: '/h', readOnly: true },
    ]);
    expect((await volumesFrom(containers, ['c:ro'])).every((m) => m.readOnly)).toBe(true);
    expect((await volumesFrom(containers, ['c:rw'])).some((m) => m.readOnly)).toBe(false);
    await expect(volumesFrom(containers, ['c:rx'])).rejects.toThrow(/invalid mode/);
  });
});
