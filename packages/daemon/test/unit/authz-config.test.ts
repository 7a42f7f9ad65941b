/** `--authorization-plugin`, `--plugin-dir` and their config-file keys. */
import { describe, expect, it } from 'vitest';
import { parseCommandLine, parseConfigFile } from '@tscr/daemon';
import { rejection } from '@tscr/testkit';

describe('authorization plugin settings', () => {
  it('takes --authorization-plugin repeatedly, in order (with --plugin-dir)', async () => {
    const cmd = await parseCommandLine([
      '--authorization-plugin',
      'first',
      '--authorization-plugin',
      'second',
      '--plugin-dir',
      '/srv/plugins',
    ]);
    expect(cmd.kind).toBe('daemon');
    if (cmd.kind !== 'daemon') return;
    expect(cmd.config.authorizationPlugins).toEqual(['first', 'second']);
    expect(cmd.config.pluginDirs).toEqual(['/srv/plugins']);
  });

  it('has none by default; flags replace the config file’s list', async () => {
    const cmd = await parseCommandLine([]);
    if (cmd.kind !== 'daemon') throw new Error('not a daemon command');
    expect(cmd.config.authorizationPlugins).toBeUndefined();
  });

  it('reads authorizationPlugins and pluginDirs from the config file, and refuses bad values', async () => {
    expect(parseConfigFile({ authorizationPlugins: ['opa'], pluginDirs: ['/p'] })).toEqual({
      authorizationPlugins: ['opa'],
      pluginDirs: ['/p'],
    });
    for (const bad of [{ authorizationPlugins: 'opa' }, { authorizationPlugins: ['../x'] }]) {
      expect(() => parseConfigFile(bad)).toThrow();
    }
    const err = await rejection(parseCommandLine(['--authorization-plugin', 'a/b']));
    expect(err.code).toBe('InvalidArgument');
  });
});
