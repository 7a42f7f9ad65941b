import { readdir, readFile, rm, rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir, skipUnlessRoot, uniqueName } from '@tscr/testkit';
import { MESSAGE, main } from '../src/run.js';

const CGROUP_ROOT = '/sys/fs/cgroup';

/** Removes the (empty) parent cgroup the task was put under, in every hierarchy. */
async function removeCgroupParent(parent: string): Promise<void> {
  const hierarchies = await readdir(CGROUP_ROOT).catch(() => [] as string[]);
  const dirs = [join(CGROUP_ROOT, parent), ...hierarchies.map((h) => join(CGROUP_ROOT, h, parent))];
  for (const dir of dirs) {
    await rmdir(dir).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT' && err.code !== 'ENOTDIR') throw err;
    });
  }
}

describe.skipIf(skipUnlessRoot('runc', 'conmon'))('examples/embed', () => {
  const cgroupParent = uniqueName('embed-cg');
  let root: string;
  beforeAll(async () => {
    root = await makeTempDir('embed');
  });
  afterAll(async () => {
    await removeCgroupParent(cgroupParent);
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('runs echo through the image and runtime layers, with no daemon', async () => {
    const lines: string[] = [];
    const id = uniqueName('embed');
    const result = await main({ root, id, cgroupParent, print: (l) => lines.push(l) });

    expect(result.exitStatus.exitCode).toBe(0);
    expect(result.output).toBe(`${MESSAGE}\n`);
    expect(lines).toContain(`task ${id} exited with code 0`);
    expect(lines).toContain(`output: ${MESSAGE}`);
    // It cleaned up after itself: no mount under its root is left.
    expect(await readFile('/proc/self/mountinfo', 'utf8')).not.toContain(root);
  });
});
