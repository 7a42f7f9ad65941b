import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/** True when running as root (integration tests need it). */
export function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

/** True when `name` is an executable on PATH (or the absolute path exists). */
export function hasCommand(name: string): boolean {
  const dirs = name.includes('/') ? [''] : (process.env.PATH ?? '').split(delimiter);
  return dirs.some((d) => {
    try {
      accessSync(d ? join(d, name) : name, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/**
 * The reason an integration test cannot run here, or undefined when it can.
 * Use with `describe.skipIf(skipUnlessRoot('runc'))`. CI runs as root with
 * everything installed, so there these tests always run.
 */
export function skipUnlessRoot(...commands: string[]): string | undefined {
  if (!isRoot()) return 'needs root';
  const missing = commands.filter((c) => !hasCommand(c));
  return missing.length ? `needs ${missing.join(', ')} (run npm run setup)` : undefined;
}

/** True while process `pid` exists (signal 0; a zombie not yet reaped still counts). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
