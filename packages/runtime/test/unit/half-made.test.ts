import { existsSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { errorCode } from '@tscr/api';
import { makeTempDir } from '@tscr/testkit';
import { createLocalTaskRuntime } from '../../src/local/index.js';

describe('delete of a task whose record cannot be read', () => {
  it('removes a half-made bundle, but never the bundle of a task the OCI runtime knows', async () => {
    const dir = await makeTempDir('half-made');
    try {
      const runtime = createLocalTaskRuntime({ stateDir: dir, runtimes: { runc: '/bin/false' } });
      const bundle = (id: string) => join(dir, 'tasks', id);
      // A create cut before its record was written: a bundle with a rootfs and no task.json.
      await mkdir(join(bundle('half'), 'rootfs'), { recursive: true });
      expect(errorCode(await runtime.delete('half').catch((e: unknown) => e))).toBe('NotFound');
      expect(existsSync(bundle('half'))).toBe(false);
      // A record damaged under a task runc has state for (its monitor was started after the record was
      // written): reported as NotFound, and its files stay.
      await mkdir(join(bundle('live'), 'rootfs'), { recursive: true });
      await writeFile(join(bundle('live'), 'task.json'), '"id":"live"}');
      await mkdir(join(dir, 'runc-root', 'live'), { recursive: true });
      expect(errorCode(await runtime.delete('live').catch((e: unknown) => e))).toBe('NotFound');
      expect(existsSync(join(bundle('live'), 'task.json'))).toBe(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
