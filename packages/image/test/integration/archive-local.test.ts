import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { describe } from 'vitest';
import { makeTempDir } from '@tscr/testkit';
import { createLocalImageService } from '../../src/local/index.js';
import { describeImageArchive } from '../conformance/archive.js';

describe.skipIf(!existsSync('/bin/busybox'))('local image archives (needs /bin/busybox)', () => {
  describeImageArchive('LocalImageService', async () => {
    const root = await makeTempDir('image-root');
    return {
      service: createLocalImageService({ root, gcGraceMs: 0 }),
      root,
      teardown: () => rm(root, { recursive: true, force: true }),
    };
  });
});
