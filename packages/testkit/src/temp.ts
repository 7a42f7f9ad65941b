import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';

/** Prefix of every name and path a test creates on the host. */
export const TEST_PREFIX = 'tscr-test';

/** A fresh directory `/tmp/tscr-test-<what>-XXXXXX`. The caller removes it. */
export function makeTempDir(what: string): Promise<string> {
  return mkdtemp(join(tmpdir(), `${TEST_PREFIX}-${what}-`));
}

/** `tscr-test-<what>-<random>`, for container, image and network names. */
export function uniqueName(what: string): string {
  return `${TEST_PREFIX}-${what}-${randomBytes(4).toString('hex')}`;
}
