import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The one recipe for the busybox-static test image, shared with the demo and the benchmarks. */
const SCRIPT = fileURLToPath(new URL('../../../scripts/busybox-rootfs.sh', import.meta.url));

/**
 * Builds a minimal root filesystem from busybox-static in `dir`: the binary,
 * a symlink per applet in /bin, /etc/passwd and /etc/group (root, nobody and
 * a `tscr` user 1000), and the usual empty mount points.
 */
export async function busyboxRootfsDir(dir: string): Promise<string> {
  execFileSync('bash', [SCRIPT, '--dir', dir], { stdio: ['ignore', 'ignore', 'inherit'] });
  return dir;
}

/** Writes a busybox rootfs as a tar file at `tarPath`, the input `tscr image import` takes. */
export async function busyboxRootfsTar(_workDir: string, tarPath: string): Promise<string> {
  execFileSync('bash', [SCRIPT, tarPath], { stdio: ['ignore', 'ignore', 'inherit'] });
  return tarPath;
}
