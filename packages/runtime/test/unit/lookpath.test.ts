import { spawnSync } from 'node:child_process';
import { chmod, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorCode } from '@tscr/api';
import { makeTempDir } from '@tscr/testkit';
import { checkExecutable, resolveInRoot } from '../../src/local/lookpath.js';

describe('checkExecutable / resolveInRoot', () => {
  let root: string;
  beforeAll(async () => {
    root = await makeTempDir('lookpath');
    await mkdir(join(root, 'bin'), { recursive: true });
    await mkdir(join(root, 'usr/bin'), { recursive: true });
    await writeFile(join(root, 'bin/busybox'), '#!/bin/sh\n');
    await chmod(join(root, 'bin/busybox'), 0o755);
    await symlink('busybox', join(root, 'bin/sh'));
    await symlink('/bin/busybox', join(root, 'usr/bin/env')); // absolute: must stay in root
    await symlink('../../../../../../bin/busybox', join(root, 'usr/bin/up'));
    await writeFile(join(root, 'usr/bin/data'), 'x');
    await chmod(join(root, 'usr/bin/data'), 0o644);
  });
  afterAll(() => rm(root, { recursive: true, force: true }));

  const reason = async (p: Promise<void>) =>
    p.then(
      () => 'ok',
      (e: { details?: Record<string, string> }) => `${errorCode(e)}/${e.details?.reason}`,
    );

  it('keeps symlinks inside the root', async () => {
    expect(await resolveInRoot(root, '/usr/bin/env')).toBe(join(root, 'bin/busybox'));
    expect(await resolveInRoot(root, '/usr/bin/up')).toBe(join(root, 'bin/busybox'));
    expect(await resolveInRoot(root, '/nope/x')).toBeUndefined();
  });

  it('finds executables on PATH, following links', async () => {
    expect(await reason(checkExecutable(root, 'sh', [], '/', []))).toBe('ok');
    expect(await reason(checkExecutable(root, 'env', ['PATH=/usr/bin'], '/', []))).toBe('ok');
    expect(await reason(checkExecutable(root, '/bin/sh', [], '/', []))).toBe('ok');
    expect(await reason(checkExecutable(root, './busybox', [], '/bin', []))).toBe('ok');
  });

  it('reports a missing command as NotFound/ExecutableNotFound', async () => {
    expect(await reason(checkExecutable(root, 'nope', [], '/', []))).toBe('NotFound/ExecutableNotFound');
    expect(await reason(checkExecutable(root, 'sh', ['PATH=/usr/bin'], '/', []))).toBe('NotFound/ExecutableNotFound');
    expect(await reason(checkExecutable(root, '/bin/nope', [], '/', []))).toBe('NotFound/ExecutableNotFound');
    // Not executable and found only that way: Go's LookPath skips it.
    expect(await reason(checkExecutable(root, 'data', [], '/', []))).toBe('NotFound/ExecutableNotFound');
  });

  it('reports a non-executable path as PermissionDenied/ExecutableNotExecutable', async () => {
    expect(await reason(checkExecutable(root, '/usr/bin/data', [], '/', []))).toBe(
      'PermissionDenied/ExecutableNotExecutable',
    );
    expect(await reason(checkExecutable(root, '/bin', [], '/', []))).toBe('PermissionDenied/ExecutableNotExecutable');
  });

  it('looks through layers top first: a name missing above is found below, a whiteout hides it', async () => {
    const upper = join(root, 'layers/upper');
    const lower = join(root, 'layers/lower');
    await mkdir(join(upper, 'usr'), { recursive: true });
    await mkdir(join(lower, 'usr/bin'), { recursive: true });
    await mkdir(join(lower, 'bin'), { recursive: true });
    for (const f of ['usr/bin/kept', 'usr/bin/gone', 'bin/tool']) {
      await writeFile(join(lower, f), '#!/bin/sh\n');
      await chmod(join(lower, f), 0o755);
    }
    await writeFile(join(upper, 'bin'), 'a file where the lower layer has a directory');
    const layers = [upper, lower];
    expect(await resolveInRoot(layers, '/usr/bin/kept')).toBe(join(lower, 'usr/bin/kept'));
    expect(await reason(checkExecutable(layers, 'kept', ['PATH=/usr/local/bin:/usr/bin'], '/', []))).toBe('ok');
    expect(await resolveInRoot(layers, '/usr/bin/none')).toBeUndefined();
    // A layer where a component is a regular file (ENOTDIR below it) is passed over, not an error.
    await expect(resolveInRoot(layers, '/bin/tool')).resolves.toBe(join(lower, 'bin/tool'));
    // A 0:0 character device (overlayfs' whiteout) hides the lower file (making one needs root).
    await mkdir(join(upper, 'usr/bin'), { recursive: true });
    const made = spawnSync('mknod', [join(upper, 'usr/bin/gone'), 'c', '0', '0']).status === 0;
    if (made) {
      expect(await resolveInRoot(layers, '/usr/bin/gone')).toBeUndefined();
      expect(await reason(checkExecutable(layers, 'gone', ['PATH=/usr/bin'], '/', []))).toBe(
        'NotFound/ExecutableNotFound',
      );
    }
  });

  it('leaves the decision to the runtime when a mount could provide the file', async () => {
    expect(await reason(checkExecutable(root, '/opt/tool/run', [], '/', ['/opt/tool']))).toBe('ok');
    expect(await reason(checkExecutable(root, 'run', ['PATH=/opt/tool'], '/', ['/opt']))).toBe('ok');
  });
});
