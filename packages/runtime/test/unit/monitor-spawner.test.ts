import { mkdirSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isNotFound } from '@tscr/api';
import { makeTempDir } from '@tscr/testkit';
import { MonitorSpawner } from '../../src/local/monitor-spawner.js';

describe('MonitorSpawner (starts monitors from a worker thread)', () => {
  const spawner = new MonitorSpawner();
  let dir = '';
  afterAll(async () => {
    spawner.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });
  const env = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' };

  it('answers with the first line written to fd 3, even when the process started exits first', async () => {
    dir = await makeTempDir('spawner');
    const logPath = join(dir, 'log');
    // As conmon: the first process exits at once, a child it leaves behind writes the line later.
    const script = 'echo to-log; (sleep 0.2; echo \'{"data": 42}\' >&3; echo more >&3) & exit 0';
    const outcome = await spawner.spawn({ file: '/bin/sh', args: ['-c', script], env, logPath });
    expect(outcome).toEqual({ kind: 'line', line: '{"data": 42}', spawnMs: expect.any(Number) });
    expect(readFileSync(logPath, 'utf8')).toBe('to-log\n');
  });

  it('starts the process in the working directory asked for (conmon writes its oom marker there)', async () => {
    const cwd = join(dir, 'bundle');
    mkdirSync(cwd);
    const outcome = await spawner.spawn({
      file: '/bin/sh',
      args: ['-c', 'pwd >&3'],
      env,
      cwd,
      logPath: join(dir, 'l'),
    });
    expect(outcome).toMatchObject({ kind: 'line', line: cwd });
  });

  it('answers with the exit code when the process ends without a line; many at once', async () => {
    const logPath = join(dir, 'log2');
    const outcomes = await Promise.all(
      [3, 4, 5].map((code) => spawner.spawn({ file: '/bin/sh', args: ['-c', `exit ${code}`], env, logPath })),
    );
    expect(outcomes).toEqual([3, 4, 5].map((code) => ({ kind: 'exited', code })));
  });

  it('fails with NotFound for a missing binary', async () => {
    const err = await spawner
      .spawn({ file: '/nonexistent/tscr-test-conmon', args: [], env, logPath: join(dir, 'log3') })
      .catch((e: unknown) => e);
    expect(isNotFound(err), String(err)).toBe(true);
  });
});
