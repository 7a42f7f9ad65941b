import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { describe } from 'vitest';
import { makeTempDir } from '@tscr/testkit';
import { createLocalImageService } from '../../src/local/index.js';
import { describeImageService } from '../conformance/image-service.js';

describe.skipIf(!existsSync('/bin/busybox'))('local image service (needs /bin/busybox)', () => {
  describeImageService('LocalImageService', async () => {
    const root = await makeTempDir('image-root');
    return {
      service: createLocalImageService({ root }),
      root,
      teardown: () => rm(root, { recursive: true, force: true }),
    };
  });
});
