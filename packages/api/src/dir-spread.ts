import { execFile } from 'node:child_process';
import { mkdir } from 'node:fs/promises';

/** Directories {@link spreadSubdirectories} marked (or tried to) in this process. */
const marked = new Map<string, Promise<void>>();

/**
 * Makes `dir` (and its parents, with `mode`) and marks it, once per process, as the top of
 * unrelated trees (`chattr +T`, the Orlov hint of ext2/3/4): each subdirectory
 * made under it afterwards goes to a block group with few directories, and
 * the files made under that subdirectory stay in its group. ext4 without a
 * journal steps over just-deleted inodes one by one when it allocates one (for
 * 30 s or more after the deletion), from the start of the parent's group: one
 * directory of many short-lived subdirectories (one per container, snapshot or
 * task bundle) paid for every inode its last minute of removals freed, on every
 * file it made, 3 → 10 ms per container of a dozen files as rounds of 50 came
 * and went (0.4 ms when spread). Used by the image layer (snapshots, pull
 * scratch), the runtime (task bundles, runc state) and the daemon (container
 * directories). Elsewhere (another filesystem, no `chattr`) nothing changes;
 * a failed `mkdir` rejects (the caller's to report) and a later call tries again.
 */
export function spreadSubdirectories(dir: string, mode = 0o700): Promise<void> {
  let done = marked.get(dir);
  if (!done) {
    done = (async () => {
      await mkdir(dir, { recursive: true, mode });
      // Best effort: no chattr, or a filesystem without the flag, leaves a plain directory.
      await new Promise<void>((resolve) => execFile('chattr', ['+T', dir], { timeout: 5000 }, () => resolve()));
    })();
    marked.set(dir, done);
    done.catch(() => marked.delete(dir));
  }
  return done;
}
