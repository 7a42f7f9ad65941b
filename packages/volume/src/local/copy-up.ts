import { execFile } from 'node:child_process';
import { lstat, mkdtemp, readdir, rmdir } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { fromSystemError, internal, isNotFound, isErrno } from '@tscr/api';

const run = promisify(execFile);

/** What a path is in an image. */
export type ImagePathKind = 'dir' | 'file' | 'other';

async function lstatOrUndefined(path: string) {
  try {
    return await lstat(path);
  } catch (err) {
    if (isNotFound(fromSystemError(err))) return undefined;
    // ENOTDIR: a parent is a file in this layer; the path does not exist here.
    if (isErrno(err, 'ENOTDIR')) return undefined;
    throw fromSystemError(err, `cannot look up ${path}`);
  }
}

/**
 * What `path` is in the image made of `layers` (top first): the first layer
 * holding it wins; an overlay whiteout (a 0/0 character device or a
 * `.wh.` file) hides it. Undefined when the image has no such path.
 */
export async function imagePathKind(layers: readonly string[], path: string): Promise<ImagePathKind | undefined> {
  for (const layer of layers) {
    const st = await lstatOrUndefined(join(layer, path));
    if (st) {
      if (st.isCharacterDevice() && st.rdev === 0) return undefined;
      return st.isDirectory() ? 'dir' : st.isFile() ? 'file' : 'other';
    }
    if (await lstatOrUndefined(join(layer, dirname(path), `.wh.${basename(path)}`))) return undefined;
  }
  return undefined;
}

/** True when `dir` has no entries. */
export async function isEmptyDir(dir: string): Promise<boolean> {
  return (await readdir(dir)).length === 0;
}

/**
 * Copies the image's content at `target` into `dest`, keeping owners,
 * modes, timestamps and links (`cp -a`), including the attributes of
 * `target` itself. Several layers are merged through a read-only overlay
 * mounted under `scratchParent` for the copy and always unmounted after.
 */
export async function copyUp(
  layers: readonly string[],
  target: string,
  dest: string,
  scratchParent: string,
): Promise<void> {
  if (layers.length === 1) {
    await cp(join(layers[0]!, target), dest);
    return;
  }
  const scratch = await mkdtemp(join(scratchParent, '.copy-up-'));
  try {
    await run('mount', ['-t', 'overlay', 'overlay', '-o', `ro,lowerdir=${layers.join(':')}`, scratch]);
    try {
      await cp(join(scratch, target), dest);
    } finally {
      await run('umount', [scratch]);
    }
  } finally {
    await rmdir(scratch).catch(() => undefined);
  }
}

async function cp(from: string, dest: string): Promise<void> {
  try {
    await run('cp', ['-a', '--', `${from}/.`, `${dest}/`]);
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr ?? '';
    throw internal(`copying image content from ${from} into the volume failed: ${stderr.trim()}`, { cause: err });
  }
}
