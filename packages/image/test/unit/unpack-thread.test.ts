import { mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, expect, it, vi } from 'vitest';
import { makeTempDir } from '@tscr/testkit';
import { spareWorkerId, unpackLayerInWorker, unpackWorkerAvailable } from '../../src/local/unpack-thread.js';
import { rawTar } from '../fixtures/raw-tar.js';

const layer = (text: string) => Readable.from([rawTar([{ name: 'etc/motd', data: text }])]);

afterEach(() => {
  vi.runOnlyPendingTimers(); // retires the spare worker, if any
  vi.useRealTimers();
});

it('keeps the worker of a finished layer 30 s for the next one (pulls in a row skip its start), then ends it', async () => {
  expect(unpackWorkerAvailable()).toBe(true);
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
  const tmp = await makeTempDir('unpack-thread');
  const a = join(tmp, 'a');
  const b = join(tmp, 'b');
  await mkdir(a);
  await mkdir(b);
  try {
    await unpackLayerInWorker(layer('one\n'), a);
    const first = spareWorkerId();
    expect(first).toBeGreaterThan(0);
    vi.advanceTimersByTime(29_000);
    expect(spareWorkerId()).toBe(first);
    // The next layer, 29 s later, goes to the same thread, which then waits again, 30 s from now.
    await unpackLayerInWorker(layer('two\n'), b);
    expect(await readFile(join(b, 'etc/motd'), 'utf8')).toBe('two\n');
    expect(spareWorkerId()).toBe(first);
    vi.advanceTimersByTime(29_000);
    expect(spareWorkerId()).toBe(first);
    vi.advanceTimersByTime(1_000);
    expect(spareWorkerId()).toBeUndefined();
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
});
