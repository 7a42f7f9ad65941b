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

  it('leaves the decision to the runtime when a mount could provide the file', async () => {
    expect(await reason(checkExecutable(root, '/opt/tool/run', [], '/', ['/opt/tool']))).toBe('ok');
    expect(await reason(checkExecutable(root, 'run', ['PATH=/opt/tool'], '/', ['/opt']))).toBe('ok');
  });
});
