import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isCancelled } from '@tscr/api';
import { ExitWatcher, type WaitOutcome } from '../../src/local/exits.js';

describe('ExitWatcher', () => {
  let dir = '';
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tscr-test-exits-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('settles only the waiters of the task whose exit file appears, among many', async () => {
    const watcher = new ExitWatcher(dir, async () => true);
    const settled = new Map<string, WaitOutcome>();
    const ids = Array.from({ length: 300 }, (_, i) => `task${i}`);
    const waits = ids.map((id) => watcher.wait(id).then((o) => settled.set(id, o)));
    const twice = watcher.wait('task7');
    await writeFile(join(dir, 'task7'), '3\n');
    expect(await twice).toMatchObject({ kind: 'exited', exit: { exitCode: 3 } });
    await new Promise((r) => setTimeout(r, 50));
    expect([...settled.keys()]).toEqual(['task7']);
    await Promise.all(ids.filter((id) => id !== 'task7').map((id) => writeFile(join(dir, id), '0\n')));
    await Promise.all(waits);
    expect(settled.size).toBe(300);
  });

  it('reports a task whose monitor is gone as lost, and keeps waiting for the others', async () => {
    const watcher = new ExitWatcher(dir, async (id) => id !== 'gone');
    const lost = watcher.wait('gone');
    const other = watcher.wait('alive');
    expect(await lost).toEqual({ kind: 'lost' }); // after one liveness round (2 s)
    await writeFile(join(dir, 'alive'), '0\n');
    expect(await other).toMatchObject({ kind: 'exited', exit: { exitCode: 0 } });
  });

  it('cancels a wait with its signal, leaving the other waiters of the task', async () => {
    const watcher = new ExitWatcher(dir, async () => true);
    const ac = new AbortController();
    const cancelled = watcher.wait('t', ac.signal);
    const kept = watcher.wait('t');
    ac.abort();
    await expect(cancelled).rejects.toSatisfy(isCancelled);
    await writeFile(join(dir, 't'), '1\n');
    expect(await kept).toMatchObject({ kind: 'exited', exit: { exitCode: 1 } });
  });
});
