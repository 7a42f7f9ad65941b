import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, symlink, writeFile, chmod } from 'node:fs/promises';
import { join } from 'node:path';

/** Debian's busybox-static binary, installed by `npm run setup`. */
const BUSYBOX = '/bin/busybox';

/**
 * Builds a minimal root filesystem from busybox-static in `dir`: the binary,
 * a symlink per applet in /bin, /etc/passwd and /etc/group (root, nobody and
 * a `tscr` user 1000), and the usual empty mount points.
 */
export async function busyboxRootfsDir(dir: string): Promise<string> {
  if (!existsSync(BUSYBOX)) throw new Error(`${BUSYBOX} is missing: run npm run setup (installs busybox-static)`);
  for (const d of ['bin', 'etc', 'proc', 'sys', 'dev', 'tmp', 'root', 'var', 'home/tscr']) {
    await mkdir(join(dir, d), { recursive: true });
  }
  await chmod(join(dir, 'tmp'), 0o1777);
  await copyFile(BUSYBOX, join(dir, 'bin/busybox'));
  await chmod(join(dir, 'bin/busybox'), 0o755);
  const applets = execFileSync(BUSYBOX, ['--list'], { encoding: 'utf8' }).split('\n').filter(Boolean);
  for (const a of applets) if (a !== 'busybox') await symlink('busybox', join(dir, 'bin', a));
  await writeFile(
    join(dir, 'etc/passwd'),
    'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\ntscr:x:1000:1000:tscr:/home/tscr:/bin/sh\n',
  );
  await writeFile(join(dir, 'etc/group'), 'root:x:0:\nnogroup:x:65534:\ntscr:x:1000:\n');
  return dir;
}

/**
 * Writes a busybox rootfs as a tar file at `tarPath` (made in `workDir`),
 * the input `tscr image import` takes.
 */
export async function busyboxRootfsTar(workDir: string, tarPath: string): Promise<string> {
  const dir = join(workDir, 'rootfs');
  await busyboxRootfsDir(dir);
  execFileSync('tar', ['--numeric-owner', '-C', dir, '-cf', tarPath, '.']);
  return tarPath;
}
