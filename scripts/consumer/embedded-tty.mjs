// Runs a container from the installed packages alone (no daemon, no repository): imports a busybox
// root filesystem, starts a task, and runs a TTY exec in it, which needs tscr-relay (compiled at
// install time or the prebuilt @tscr/relay-<platform>-<arch>). Needs root, runc, conmon, busybox-static.
import { execFileSync } from 'node:child_process';
import { createReadStream, existsSync, readdirSync, rmdirSync } from 'node:fs';
import { chmod, copyFile, mkdir, mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLocalImageService } from '@tscr/image/local';
import { createLocalTaskRuntime, findRelay } from '@tscr/runtime/local';

const root = await mkdtemp(join(tmpdir(), 'tscr-test-consumer-run-'));
const id = `tscr-test-consumer-${process.pid}`;
const images = createLocalImageService({ root: join(root, 'images') });
const cgroupParent = `tscr-test-consumer-${process.pid}`;
const runtime = createLocalTaskRuntime({ stateDir: join(root, 'runtime'), cgroupParent });
const reference = `${id}/busybox:latest`;
let created = false;
let prepared = false;
try {
  console.log(`relay: ${await findRelay()}`);
  const rootfs = join(root, 'rootfs');
  for (const d of ['bin', 'etc', 'proc', 'sys', 'dev', 'tmp']) await mkdir(join(rootfs, d), { recursive: true });
  await copyFile('/bin/busybox', join(rootfs, 'bin/busybox'));
  await chmod(join(rootfs, 'bin/busybox'), 0o755);
  for (const applet of ['sh', 'sleep', 'tty', 'echo']) await symlink('busybox', join(rootfs, 'bin', applet));
  const tar = join(root, 'rootfs.tar');
  execFileSync('tar', ['--numeric-owner', '--owner=0', '--group=0', '-C', rootfs, '-cf', tar, '.']);
  const image = await images.importTar(createReadStream(tar), { reference });
  const mounts = await images.prepare(id, image.id);
  prepared = true;
  await runtime.create({
    id,
    rootfs: mounts,
    process: { args: ['sleep', '30'], env: ['PATH=/bin'], cwd: '/' },
    hostname: 'consumer',
    network: { mode: 'none' },
    logPath: join(root, `${id}.log`),
  });
  created = true;
  await runtime.start(id);
  const session = await runtime.exec(id, {
    id: 'tty',
    args: ['sh', '-c', 'tty; echo tty-ok'],
    terminal: true,
    size: { width: 80, height: 24 },
  });
  let output = '';
  for await (const chunk of session.output) output += Buffer.from(chunk.data).toString();
  const exit = await session.exit;
  if (exit.exitCode !== 0 || !/\/dev\/pts\/\d+/.test(output) || !output.includes('tty-ok'))
    throw new Error(`TTY exec: exit ${exit.exitCode}, output ${JSON.stringify(output)}`);
  console.log(`TTY exec in an embedded container: ${output.trim().split(/\r?\n/).join(' | ')}`);
} finally {
  if (created) await runtime.delete(id, { force: true });
  if (prepared) await images.removeSnapshot(id);
  await images.remove(reference, { force: true }).catch(() => {});
  await rm(root, { recursive: true, force: true });
  for (const ctl of readdirSync('/sys/fs/cgroup')) {
    const dir = join('/sys/fs/cgroup', ctl, cgroupParent);
    if (existsSync(dir)) rmdirSync(dir);
  }
}
