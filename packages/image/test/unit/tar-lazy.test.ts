import { describe, expect, it } from 'vitest';
import { tarHeader } from '../../src/local/archive-tar.js';
import * as local from '../../src/local/index.js';
import { lazyTar, tarLoaded } from '../../src/local/tar-lazy.js';

describe('node-tar in the image layer', () => {
  it('is loaded on the first header or parser, not with the layer', () => {
    expect(local.createLocalImageService).toBeTypeOf('function');
    expect(tarLoaded()).toBe(false);
    const header = tarHeader('etc/hostname', 5, new Date(0));
    expect(header.length).toBe(512);
    expect(header.subarray(0, 12).toString()).toBe('etc/hostname');
    expect(tarLoaded()).toBe(true);
    expect(lazyTar()).toBe(lazyTar());
  });
});
