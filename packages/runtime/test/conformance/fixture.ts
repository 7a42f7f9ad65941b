import { readFileSync, readdirSync, rmdirSync, existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { busyboxRootfsDir, makeTempDir, uniqueName } from '@tscr/testkit';
import type { TaskSpec } from '@tscr/runtime';

/** A temp work dir with a busybox rootfs, a state dir and a unique cgroup parent. */
export interface RuntimeFixture {
  dir: string;
  rootfsDir: string;
  stateDir: string;
  cgroupParent: string;
  /** A TaskSpec running `args` over the busybox rootfs (bind-mounted). */
  spec(args: string[], extra?: Partial<TaskSpec>): TaskSpec;
  /** The task's output as text (stdout and stderr in order). */
  output(id: string): string;
  cleanup(): Promise<void>;
}

/** rmdir, a directory already gone included (a runtime removes a deleted task's cgroups behind the delete). */
function rmdirQuiet(dir: string): void {
  try {
    rmdirSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

/** Removes `/<parent>` (and anything left below it) from every cgroup hierarchy. */
export function removeCgroupParent(parent: string): void {
  const base = '/sys/fs/cgroup';
  const roots = readdirSync(base).map((c) => join(base, c));
  for (const root of roots) {
    const dir = join(root, parent);
    if (!existsSync(dir)) continue;
    for (const child of readdirSync(dir, { withFileTypes: true })) {
      if (child.isDirectory()) rmdirQuiet(join(dir, child.name));
    }
    rmdirSync(dir);
  }
}

export async function makeRuntimeFixture(what: string): Promise<RuntimeFixture> {
  const dir = await makeTempDir(what);
  const rootfsDir = await busyboxRootfsDir(join(dir, 'busybox'));
  const stateDir = join(dir, 'state');
  const cgroupParent = uniqueName('cg');
  return {
    dir,
    rootfsDir,
    stateDir,
    cgroupParent,
    spec(args, extra = {}) {
      const id = extra.id ?? uniqueName('task');
      return {
        id,
        rootfs: [{ type: 'bind', source: rootfsDir, options: ['rbind'] }],
        process: { args, env: [], cwd: '/' },
        hostname: 'tscr-test-host',
        logPath: join(dir, 'logs', `${id}.log`),
        ...extra,
      };
    },
    output(id) {
      const text = readFileSync(join(dir, 'logs', `${id}.log`), 'utf8');
      return text
        .split('\n')
        .filter(Boolean)
        .map((l) => {
          const [, , tag, ...rest] = l.split(' ');
          return rest.join(' ') + (tag === 'F' ? '\n' : '');
        })
        .join('');
    },
    async cleanup() {
      removeCgroupParent(cgroupParent);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
