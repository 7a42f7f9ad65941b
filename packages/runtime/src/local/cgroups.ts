import { readFile } from 'node:fs/promises';
import { posix } from 'node:path';

/** Where a process's cgroups are on the host: one directory per v1 controller, or the v2 directory. */
export interface CgroupPaths {
  /** v1 controller name (`memory`, `cpuacct`, `pids`, `blkio`, `freezer`…) → directory. */
  v1: Map<string, string>;
  /** The unified (v2) directory, when the process has one with controllers (v2 hosts). */
  v2?: string;
}

/**
 * Parses /proc/<pid>/cgroup text into host directories under `mountRoot`.
 * v1 lines (`4:memory:/tscr/id`, `3:cpu,cpuacct:/…`) map each controller to
 * `<mountRoot>/<controllers>/<path>`; the v2 line (`0::/…`) counts only when
 * `unified` says the host is v2 (a hybrid host's unified tree has no controllers).
 */
export function parseProcCgroup(text: string, unified: boolean, mountRoot = '/sys/fs/cgroup'): CgroupPaths {
  const out: CgroupPaths = { v1: new Map() };
  for (const line of text.split('\n')) {
    const m = /^(\d+):([^:]*):(.*)$/.exec(line.trim());
    if (!m) continue;
    const [, , controllers, path] = m as unknown as [string, string, string, string];
    if (controllers === '') {
      if (unified) out.v2 = posix.join(mountRoot, path);
      continue;
    }
    for (const c of controllers.split(',')) {
      const name = c.startsWith('name=') ? c.slice(5) : c;
      out.v1.set(name, posix.join(mountRoot, controllers, path));
    }
  }
  return out;
}

/** The cgroups of process `pid` on this host. */
export async function cgroupsOf(pid: number, unified: boolean): Promise<CgroupPaths> {
  return parseProcCgroup(await readFile(`/proc/${pid}/cgroup`, 'utf8'), unified);
}

/** Reads a cgroup file; undefined when it does not exist. */
export async function readCgroupFile(dir: string | undefined, file: string): Promise<string | undefined> {
  if (!dir) return undefined;
  try {
    return await readFile(posix.join(dir, file), 'utf8');
  } catch {
    return undefined;
  }
}

/** `key value` lines (memory.stat, cpu.stat) as a map. */
export function parseKeyValues(text: string | undefined): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of (text ?? '').split('\n')) {
    const [k, v] = line.trim().split(/\s+/);
    if (k && v !== undefined && /^\d+$/.test(v)) out.set(k, Number(v));
  }
  return out;
}

/** The PIDs in the task's cgroup (every process of the container). */
export async function cgroupPids(paths: CgroupPaths): Promise<number[]> {
  const dir = paths.v2 ?? paths.v1.get('pids') ?? paths.v1.get('memory') ?? paths.v1.get('freezer');
  const text = await readCgroupFile(dir, 'cgroup.procs');
  return (text ?? '')
    .split('\n')
    .filter((l) => /^\d+$/.test(l.trim()))
    .map(Number);
}
