/**
 * Embedding tscr without a daemon: the image layer and the runtime layer,
 * used directly from a Node program. Imports a busybox root filesystem,
 * prepares a snapshot of it, runs `echo` in a container, prints its output
 * and cleans up. Needs root, runc and conmon.
 *
 *   npm run build -w @tscr/example-embed && node examples/embed/dist/run.js
 */
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ExitStatus } from '@tscr/api';
import { createLocalImageService } from '@tscr/image/local';
import { createLocalTaskRuntime, readLogs } from '@tscr/runtime/local';
import { makeBusyboxTar } from './busybox-tar.js';

/** What the example runs. */
export const MESSAGE = 'hello from an embedded tscr';

/** Options of {@link main}; every one has a default. */
export interface EmbedOptions {
  /** Directory for all state (images, snapshots, task bundles, logs). Default: a new temp dir, removed at the end. */
  root?: string;
  /** Task ID, also the snapshot key. Default `tscr-embed-<random>`. */
  id?: string;
  /** cgroup parent of the task. Default `tscr-embed`. */
  cgroupParent?: string;
  /** Where output lines go. Default: stdout. */
  print?: (line: string) => void;
}

/** What {@link main} observed. */
export interface EmbedResult {
  exitStatus: ExitStatus;
  /** Everything the task wrote, stdout and stderr in order. */
  output: string;
}

/** Runs the example; see the file comment. Everything it made is gone when it returns. */
export async function main(opts: EmbedOptions = {}): Promise<EmbedResult> {
  const ownRoot = opts.root === undefined;
  const root = opts.root ?? (await mkdtemp(join(tmpdir(), 'tscr-embed-')));
  const id = opts.id ?? `tscr-embed-${randomBytes(4).toString('hex')}`;
  const print = opts.print ?? ((line: string) => process.stdout.write(`${line}\n`));
  const images = createLocalImageService({ root: join(root, 'images') });
  const runtime = createLocalTaskRuntime({
    stateDir: join(root, 'runtime'),
    cgroupParent: opts.cgroupParent ?? 'tscr-embed',
  });
  const reference = `${id}/busybox:latest`;
  let imported = false;
  let prepared = false;
  let created = false;
  try {
    // 1. An image from a root filesystem tar, like `docker import`.
    await mkdir(join(root, 'work'), { recursive: true });
    const tar = await makeBusyboxTar(join(root, 'work'));
    const image = await images.importTar(createReadStream(tar), { reference });
    imported = true;
    print(`imported ${reference} as ${image.id.slice(0, 19)}`);

    // 2. A writable snapshot over its layers: the mounts that make the container's rootfs.
    const rootfs = await images.prepare(id, image.id);
    prepared = true;

    // 3. A task: conmon + runc, output appended to a log file.
    const logPath = join(root, 'logs', `${id}.log`);
    await mkdir(join(root, 'logs'), { recursive: true });
    await runtime.create({
      id,
      rootfs,
      process: { args: ['echo', MESSAGE], env: ['PATH=/bin'], cwd: '/' },
      hostname: 'embed',
      network: { mode: 'none' },
      logPath,
    });
    created = true;
    await runtime.start(id);
    const exitStatus = await runtime.wait(id);
    print(`task ${id} exited with code ${exitStatus.exitCode}`);

    // 4. Its output, as the monitor recorded it.
    let output = '';
    const decoder = new TextDecoder();
    for await (const entry of readLogs(logPath)) output += decoder.decode(entry.data, { stream: true });
    output += decoder.decode();
    for (const line of output.split('\n').filter(Boolean)) print(`output: ${line}`);
    return { exitStatus, output };
  } finally {
    // 5. Clean up: task (bundle, rootfs mount), snapshot, image, state.
    if (created) await runtime.delete(id, { force: true });
    if (prepared) await images.removeSnapshot(id);
    if (imported) await images.remove(reference, { force: true });
    if (ownRoot) await rm(root, { recursive: true, force: true });
  }
}

// Run when executed directly (`node dist/run.js`), not when imported.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().then(
    (r) => process.exit(r.exitStatus.exitCode),
    (err: unknown) => {
      process.stderr.write(`embed example failed: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
}
