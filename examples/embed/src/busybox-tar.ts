import { execFile } from 'node:child_process';
import { chmod, copyFile, mkdir, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

/** Debian's busybox-static (`apt-get install busybox-static`). */
const BUSYBOX = '/bin/busybox';

/**
 * Writes the smallest useful root filesystem as a tar at `<workDir>/rootfs.tar`:
 * busybox with `sh` and `echo` links, and the usual empty mount points.
 */
export async function makeBusyboxTar(workDir: string): Promise<string> {
  const rootfs = join(workDir, 'rootfs');
  for (const d of ['bin', 'etc', 'proc', 'sys', 'dev', 'tmp']) await mkdir(join(rootfs, d), { recursive: true });
  await copyFile(BUSYBOX, join(rootfs, 'bin/busybox'));
  await chmod(join(rootfs, 'bin/busybox'), 0o755);
  for (const applet of ['sh', 'echo']) await symlink('busybox', join(rootfs, 'bin', applet));
  const tar = join(workDir, 'rootfs.tar');
  await promisify(execFile)('tar', ['--numeric-owner', '--owner=0', '--group=0', '-C', rootfs, '-cf', tar, '.']);
  return tar;
}
