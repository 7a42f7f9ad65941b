/** `--authorization-plugin`, `--plugin-dir` and their config-file keys. */
import { describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS, parseCommandLine, parseConfigFile } from '@tscr/daemon';
import { rejection } from '@tscr/testkit';

describe('authorization plugin settings', () => {
  it('takes --authorization-plugin repeatedly, in order, and --plugin-dir', async () => {
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

  it('has none by default, and plugin timings among the limits', async () => {
    const cmd = await parseCommandLine([]);
    if (cmd.kind !== 'daemon') throw new Error('not a daemon command');
    expect(cmd.config.authorizationPlugins).toBeUndefined();
    expect(DEFAULT_LIMITS.pluginRetryMs).toBe(30_000);
    expect(parseConfigFile({ limits: { pluginRetryMs: 500 } }).limits?.pluginRetryMs).toBe(500);
  });

  it('reads authorizationPlugins and pluginDirs from the config file, and refuses bad values', async () => {
    expect(parseConfigFile({ authorizationPlugins: ['opa'], pluginDirs: ['/p'] })).toEqual({
      authorizationPlugins: ['opa'],
      pluginDirs: ['/p'],
    });
    for (const bad of [{ authorizationPlugins: 'opa' }, { authorizationPlugins: ['../x'] }, { pluginDirs: ['rel'] }]) {
      expect(() => parseConfigFile(bad)).toThrow();
    }
    const err = await rejection(parseCommandLine(['--authorization-plugin', 'a/b']));
    expect(err.code).toBe('InvalidArgument');
  });
});
