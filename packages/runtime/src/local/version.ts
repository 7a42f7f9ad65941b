import { CommandFailed, run } from './exec.js';
import { internal } from '@tscr/api';

async function firstLineOfVersion(path: string): Promise<string> {
  try {
    const { stdout } = await run(path, ['--version']);
    return stdout.split('\n')[0]!.trim();
  } catch (err) {
    if (err instanceof CommandFailed) throw internal(`${path} --version failed: ${err.stderr.trim()}`, { cause: err });
    throw err;
  }
}

/**
 * The first line of an OCI runtime's `--version`, e.g. `runc version 1.1.5+ds1`.
 * @throws NotFound when the binary does not exist; Internal when it fails.
 */
export function runtimeVersion(path = '/usr/sbin/runc'): Promise<string> {
  return firstLineOfVersion(path);
}

/**
 * The first line of the monitor's `--version`, e.g. `conmon version 2.1.6`.
 * @throws NotFound when the binary does not exist; Internal when it fails.
 */
export function monitorVersion(path = '/usr/bin/conmon'): Promise<string> {
  return firstLineOfVersion(path);
}
