import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { isInvalidArgument } from '@tscr/api';
import { createLocalVolumeService } from '@tscr/volume/local';
import { makeTempDir } from '@tscr/testkit';
import { describeVolumeService } from '../conformance/volume-service.js';

describeVolumeService('LocalVolumeService', async () => {
  const root = await makeTempDir('volume-root');
  return {
    service: createLocalVolumeService({ root }),
    close: () => rm(root, { recursive: true, force: true }),
  };
});

it('createLocalVolumeService wants an absolute root', () => {
  let err: unknown;
  try {
    createLocalVolumeService({ root: 'relative' });
  } catch (e) {
    err = e;
  }
  expect(isInvalidArgument(err)).toBe(true);
});

it('keeps volumes, labels and users across a restart of the service', async () => {
  const root = await makeTempDir('volume-restart');
  try {
    const first = createLocalVolumeService({ root });
    await first.create('tscr-test-keep', { labels: { k: 'v' } });
    await first.resolveMounts('tscr-test-c', [{ type: 'volume', source: 'tscr-test-keep', target: '/k' }]);
    const second = createLocalVolumeService({ root });
    expect(await second.get('tscr-test-keep')).toMatchObject({ labels: { k: 'v' }, usedBy: ['tscr-test-c'] });
    // A directory left without a record (an interrupted create) is not a volume.
    await mkdir(join(root, 'tscr-test-leftover', '_data'), { recursive: true });
    expect((await second.list()).map((v) => v.name)).toEqual(['tscr-test-keep']);
    await second.create('tscr-test-leftover');
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
