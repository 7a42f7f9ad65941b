import { execFile } from 'node:child_process';

/**
 * Marks each of `dirs` as the top of unrelated trees (`chattr +T`, the Orlov
 * hint of ext2/3/4), as the image layer does for its snapshots and the
 * daemon for container directories (`spreadSubdirectories` of
 * `@tscr/image`): each task's bundle (`tasks/<id>`) and runc state
 * directory (`runc-root/<id>`) then goes to a block group with few
 * directories, and the dozen files made in it — by tscr, conmon and
 * `runc create` on the start path — stay in that group. ext4 without a
 * journal steps over just-deleted inodes one by one when it allocates one,
 * for 30 s or more after the deletion: one directory of short-lived
 * subdirectories paid for every inode its last minute of removals freed, on
 * every file made. Best effort: on another filesystem, or without `chattr`,
 * nothing changes. Settles once `chattr` has ended (it runs once, at the
 * first create of a runtime instance).
 */
export function markTopDirectories(dirs: string[]): Promise<void> {
  return new Promise((resolve) => execFile('chattr', ['+T', ...dirs], { timeout: 5000 }, () => resolve()));
}
