import { describe, expect, it } from 'vitest';
import { isInvalidArgument } from '@tscr/api';
import { applyVolumeDriver, parseBind, parseTmpfs } from '@tscr/volume';

function invalid(fn: () => unknown): boolean {
  try {
    fn();
  } catch (err) {
    return isInvalidArgument(err);
  }
  return false;
}

describe('parseBind', () => {
  it.each([
    ['/src:/dst', { type: 'bind', source: '/src', target: '/dst', options: ['create-host-path'] }],
    ['/src:/dst:ro', { type: 'bind', source: '/src', target: '/dst', readOnly: true, options: ['create-host-path'] }],
    ['/src:/dst:rw', { type: 'bind', source: '/src', target: '/dst', options: ['create-host-path'] }],
    [
      '/src:/dst:ro,rshared',
      { type: 'bind', source: '/src', target: '/dst', readOnly: true, options: ['rshared', 'create-host-path'] },
    ],
    ['/src:/dst:rslave', { type: 'bind', source: '/src', target: '/dst', options: ['rslave', 'create-host-path'] }],
    ['/src:/dst:rw,z', { type: 'bind', source: '/src', target: '/dst', options: ['create-host-path'] }],
    ['/src:/dst:Z', { type: 'bind', source: '/src', target: '/dst', options: ['create-host-path'] }],
    ['data:/dst:nocopy', { type: 'volume', source: 'data', target: '/dst', options: ['volume-nocopy'] }],
    ['data:/dst', { type: 'volume', source: 'data', target: '/dst' }],
    ['my-vol.1:/dst:ro', { type: 'volume', source: 'my-vol.1', target: '/dst', readOnly: true }],
    ['/anon', { type: 'volume', source: '', target: '/anon' }],
    ['/anon:ro', { type: 'volume', source: '', target: '/anon', readOnly: true }],
  ])('%s', (spec, want) => {
    expect(parseBind(spec)).toEqual(want);
  });

  it.each([
    [''],
    ['relative'],
    [':/dst'],
    ['/src:dst'],
    ['/src:/dst:'],
    ['/src:/dst:rx'],
    ['/src:/dst:ro,rw'],
    ['/src:/dst:shared,rshared'],
    ['/a:/b:ro:extra'],
    ['./rel:/dst'],
    ['/src:/'],
    ['/src:/dst:nocopy'],
    ['a/b:/dst'],
    ['..:/dst'],
  ])('rejects %j', (spec) => {
    expect(invalid(() => parseBind(spec))).toBe(true);
  });
});

describe('parseTmpfs', () => {
  it('parses a path with and without options', () => {
    expect(parseTmpfs('/run')).toEqual({ type: 'tmpfs', source: '', target: '/run' });
    expect(parseTmpfs('/run:size=64m,mode=1777')).toEqual({
      type: 'tmpfs',
      source: '',
      target: '/run',
      options: ['size=64m', 'mode=1777'],
    });
  });

  it('rejects relative and root paths', () => {
    expect(invalid(() => parseTmpfs('run'))).toBe(true);
    expect(invalid(() => parseTmpfs('/'))).toBe(true);
  });
});

describe('applyVolumeDriver', () => {
  it('moves volume binds into mounts of the driver, leaves host binds and mounts naming a driver', () => {
    const out = applyVolumeDriver(
      ['data:/data:ro', '/srv:/srv', '/anon'],
      [
        { type: 'volume', source: 'm', target: '/m' },
        { type: 'volume', source: 'n', target: '/n', options: ['volume-driver=other'] },
        { type: 'tmpfs', source: '', target: '/t' },
      ],
      'nfs',
    );
    expect(out.binds).toEqual(['/srv:/srv']);
    expect(out.mounts).toEqual([
      { type: 'volume', source: 'data', target: '/data', readOnly: true, options: ['volume-driver=nfs'] },
      { type: 'volume', source: '', target: '/anon', options: ['volume-driver=nfs'] },
      { type: 'volume', source: 'm', target: '/m', options: ['volume-driver=nfs'] },
      { type: 'volume', source: 'n', target: '/n', options: ['volume-driver=other'] },
      { type: 'tmpfs', source: '', target: '/t' },
    ]);
    expect(applyVolumeDriver(['data:/data'], [], 'local')).toEqual({ binds: ['data:/data'], mounts: [] });
  });
});
