import { rm } from 'node:fs/promises';
import { expect, it } from 'vitest';
import { isInvalidArgument } from '@tscr/api';
import { createLocalVolumeService } from '@tscr/volume';
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
