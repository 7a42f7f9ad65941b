import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseCommandLine, parseConfigFile } from '@tscr/daemon';
import { makeTempDir } from '@tscr/testkit';

describe('config: layerLimits', () => {
  it('reaches the daemon config from the config file', async () => {
    const dir = await makeTempDir('config-limits');
    try {
      const file = join(dir, 'tscrd.json');
      await writeFile(file, JSON.stringify({ layerLimits: { maxBytes: 1 << 30, maxEntries: 1000 } }));
      const cmd = await parseCommandLine(['--config', file]);
      expect(cmd).toMatchObject({ kind: 'daemon', config: { layerLimits: { maxBytes: 1 << 30, maxEntries: 1000 } } });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses unknown keys and values that are not positive integers', () => {
    for (const layerLimits of [{ maxSize: 1 }, { maxBytes: -1 }, { maxBytes: 1.5 }, { maxEntries: '10' }, [], null]) {
      expect(() => parseConfigFile({ layerLimits })).toThrow(expect.objectContaining({ code: 'InvalidArgument' }));
    }
  });
});
