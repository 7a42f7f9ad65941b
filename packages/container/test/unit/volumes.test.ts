import { describe, expect, it } from 'vitest';
import type { ContainerInfo } from '@tscr/api';
import { createMountSpecs, imageLayersOf, startMountSpecs } from '../../src/local/volumes.js';

describe('container mount specs', () => {
  it('adds an anonymous volume for each image VOLUME no mount covers', () => {
    const specs = createMountSpecs(
      { binds: ['named:/data/'], mounts: [{ type: 'tmpfs', source: '', target: '/run' }] },
      ['/data', '/logs', '/run'],
    );
    expect(specs).toEqual([
      { type: 'volume', source: 'named', target: '/data/' },
      { type: 'tmpfs', source: '', target: '/run' },
      { type: 'volume', source: '', target: '/logs' },
    ]);
  });

  it('names anonymous volumes on start as they were created, keeping image ones', () => {
    const anon = 'a'.repeat(64);
    const img = 'b'.repeat(64);
    const info: Pick<ContainerInfo, 'hostConfig' | 'mounts'> = {
      hostConfig: { binds: ['/x'] },
      mounts: [
        { type: 'volume', name: anon, source: '/v/a/_data', destination: '/x', rw: true },
        { type: 'volume', name: img, source: '/v/b/_data', destination: '/data', rw: true },
        { type: 'bind', source: '/h', destination: '/h', rw: true },
      ],
    };
    expect(startMountSpecs(info)).toEqual([
      { type: 'volume', source: anon, target: '/x' },
      { type: 'volume', source: img, target: '/data' },
    ]);
  });

  it('reads the image layers from the snapshot mount', () => {
    expect(
      imageLayersOf([
        { type: 'overlay', source: 'overlay', options: ['lowerdir=/l/2:/l/1', 'upperdir=/u', 'workdir=/w'] },
      ]),
    ).toEqual(['/l/2', '/l/1']);
    expect(imageLayersOf([{ type: 'bind', source: '/r', options: ['rbind'] }])).toEqual([]);
  });
});
