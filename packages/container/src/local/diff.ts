import { lstat, readdir } from 'node:fs/promises';
import { posix } from 'node:path';
import type { FilesystemChange } from '@tscr/api';

async function existsInLowers(lowers: string[], rel: string): Promise<boolean> {
  for (const l of lowers) {
    try {
      const st = await lstat(posix.join(l, rel));
      return !(st.isCharacterDevice() && st.rdev === 0);
    } catch {
      /* not in this layer */
    }
  }
  return false;
}

/**
 * The changes of an overlay's writable layer against the layers below:
 * whiteouts (0:0 character devices) are deletions, names the lower layers
 * have are changes, the rest additions (with everything inside a new
 * directory). Sorted by path, as Docker prints them.
 */
export async function layerChanges(upper: string, lowers: string[]): Promise<FilesystemChange[]> {
  const out: FilesystemChange[] = [];
  const walk = async (rel: string, added: boolean): Promise<void> => {
    let names: string[];
    try {
      names = await readdir(posix.join(upper, rel));
    } catch {
      return;
    }
    for (const name of names) {
      const child = posix.join(rel, name);
      const st = await lstat(posix.join(upper, child));
      const path = `/${child}`;
      if (st.isCharacterDevice() && st.rdev === 0) {
        out.push({ kind: 'D', path });
        continue;
      }
      const isNew = added || !(await existsInLowers(lowers, child));
      out.push({ kind: isNew ? 'A' : 'C', path });
      if (st.isDirectory()) await walk(child, isNew);
    }
  };
  await walk('', false);
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
