import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, openSync, constants, writeSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeTempDir } from '@tscr/testkit';
import { releaseViaExecFifo } from '../../src/local/exec-fifo.js';

/** A pid that no longer exists (a child that has exited and was reaped). */
function deadPid(): number {
  const r = spawnSync('sh', ['-c', 'echo $$']);
  return Number(r.stdout.toString().trim());
}

describe('releaseViaExecFifo', () => {
  it('sees the byte of an init that wrote it and exited at once, even when the event loop was busy', async () => {
    // Found by the soak: `true` exits within a millisecond of writing its byte; on a loaded daemon the
    // liveness check ran before the socket's read, the release was taken for a failure, and `runc start`
    // then refused a stopped container (FailedPrecondition "task … is stopped").
    const dir = await makeTempDir('exec-fifo');
    try {
      for (let i = 0; i < 20; i++) {
        const fifo = join(dir, `exec-${i}.fifo`);
        execFileSync('mkfifo', [fifo]);
        const writer = openSync(fifo, constants.O_RDWR | constants.O_NONBLOCK);
        const released = releaseViaExecFifo(fifo, deadPid());
        // The byte lands in the same turn as the liveness check (a timer due at the same moment, after
        // it): the check's answer and the socket's read are then ready together, in either order.
        setTimeout(() => writeSync(writer, '0'), 50);
        const until = Date.now() + 80; // a busy event loop: both timers are due when it ends
        while (Date.now() < until);
        expect(await released).toBe(true);
        closeSync(writer);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('gives up when the init is gone without writing', async () => {
    const dir = await makeTempDir('exec-fifo');
    try {
      const fifo = join(dir, 'exec.fifo');
      execFileSync('mkfifo', [fifo]);
      expect(await releaseViaExecFifo(fifo, deadPid())).toBe(false);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
