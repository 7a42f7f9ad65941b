import { readFile } from 'node:fs/promises';
import type { Mount } from '@tscr/api';
import { internal, invalidArgument } from '@tscr/api';
import { CommandFailed, run } from './exec.js';

/** `mount(8)` arguments for one snapshotter mount at `target`. */
export function mountArgs(m: Mount, target: string): string[] {
  if (!m.type) throw invalidArgument('rootfs mount has no type');
  const isBind = m.type === 'bind' || m.type === 'rbind';
  const options = isBind && !m.options.some((o) => o === 'bind' || o === 'rbind') ? ['rbind', ...m.options] : m.options;
  return [...(isBind ? [] : ['-t', m.type]), ...(options.length ? ['-o', options.join(',')] : []), m.source, target];
}

/**
 * Performs the rootfs mounts (overlay, bind, …) one after the other at
 * `target`. On failure the ones already made are undone.
 * @throws InvalidArgument for an empty list; Internal with mount's message.
 */
export async function mountRootfs(mounts: Mount[], target: string): Promise<void> {
  if (mounts.length === 0) throw invalidArgument('the task has no rootfs mounts');
  for (const [i, m] of mounts.entries()) {
    try {
      await run('mount', mountArgs(m, target));
    } catch (err) {
      if (i > 0) await unmountRootfs(target).catch(() => undefined);
      const msg = err instanceof CommandFailed ? err.stderr.trim() : String(err);
      throw internal(`cannot mount the rootfs (${m.type} ${m.source}) at ${target}: ${msg}`, { cause: err });
    }
  }
}

/** Decodes the octal escapes (`\040`) of a /proc/self/mountinfo path. */
function unescapeMountPath(p: string): string {
  return p.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

/** True when something is mounted exactly at `target` (per /proc/self/mountinfo). */
export async function isMountPoint(target: string): Promise<boolean> {
  const info = await readFile('/proc/self/mountinfo', 'utf8');
  return info.split('\n').some((line) => {
    const mp = line.split(' ')[4];
    return mp !== undefined && unescapeMountPath(mp) === target;
  });
}

/**
 * Undoes {@link mountRootfs}: unmounts everything at and below `target`
 * (`umount -R`). Nothing mounted is not an error.
 * @throws Internal when something stays mounted.
 */
export async function unmountRootfs(target: string): Promise<void> {
  try {
    await run('umount', ['-R', target]);
    return;
  } catch (err) {
    if (!(await isMountPoint(target))) return;
    try {
      await run('umount', ['-R', '-l', target]);
    } catch {
      const msg = err instanceof CommandFailed ? err.stderr.trim() : String(err);
      throw internal(`cannot unmount ${target}: ${msg}`, { cause: err });
    }
  }
}
