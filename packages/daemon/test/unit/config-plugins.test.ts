import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseCommandLine, parseConfigFile } from '@tscr/daemon';
import { makeTempDir, rejection } from '@tscr/testkit';
import { describe, expect, it } from 'vitest';

describe('plugin settings', () => {
  it('reads pluginDirs, dockerPluginDirs and pluginTimeouts from the file; --plugin-dir replaces the dirs', async () => {
    const dir = await makeTempDir('config-plugins');
    try {
      const file = join(dir, 'tscrd.json');
      await writeFile(
        file,
        JSON.stringify({
          pluginDirs: ['/etc/tscr/plugins'],
          dockerPluginDirs: false,
          pluginTimeouts: { timeoutMs: 5 },
        }),
      );
      expect(await parseCommandLine(['--config', file])).toMatchObject({
        config: { pluginDirs: ['/etc/tscr/plugins'], dockerPluginDirs: false, pluginTimeouts: { timeoutMs: 5 } },
      });
      const cmd = await parseCommandLine(['--config', file, '--plugin-dir', '/a', '--plugin-dir', '/b']);
      expect(cmd).toMatchObject({ config: { pluginDirs: ['/a', '/b'], dockerPluginDirs: false } });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses relative dirs and bad timeouts', async () => {
    expect(() => parseConfigFile({ pluginDirs: ['rel'] })).toThrow(/absolute/);
    expect(() => parseConfigFile({ pluginTimeouts: { timeoutMs: 0 } })).toThrow(/positive integer/);
    expect(() => parseConfigFile({ pluginTimeouts: { nope: 1 } })).toThrow(/unknown pluginTimeouts/);
    expect(() => parseConfigFile({ dockerPluginDirs: 'no' })).toThrow(/true or false/);
    expect(await rejection(parseCommandLine(['--plugin-dir', 'relative']))).toMatchObject({ code: 'InvalidArgument' });
  });
});
