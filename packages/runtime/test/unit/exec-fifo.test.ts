import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, openSync, constants, readSync, writeFileSync, writeSync } from 'node:fs';
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

  it('never reads from its descriptor once the release is done: a late liveness answer leaves reused fds alone', async () => {
    // Found by the 1,000-cycle soak (1 cycle in 1,000 failed with NotFound "no such task"): the byte came
    // while a liveness check was in flight; the socket then closed the fifo's descriptor, another task's
    // start opened its task.json under the same number, and the check, answering "gone" late, read one
    // byte from it. That task's record then parsed as `"id"` followed by junk, and was taken for missing.
    const dir = await makeTempDir('exec-fifo');
    const fds: number[] = [];
    try {
      const fifo = join(dir, 'exec.fifo');
      execFileSync('mkfifo', [fifo]);
      const writer = openSync(fifo, constants.O_RDWR | constants.O_NONBLOCK);
      fds.push(writer);
      let asked!: () => void;
      const checking = new Promise<void>((r) => (asked = r));
      let answer!: (live: boolean) => void;
      const alive = () => {
        asked();
        return new Promise<boolean>((r) => (answer = r));
      };
      const released = releaseViaExecFifo(fifo, 1, { alive });
      await checking; // a liveness check is in flight
      writeSync(writer, '0'); // the init writes its byte, and exits
      expect(await released).toBe(true);
      // Files opened now take the numbers just freed, the fifo's among them.
      const victims = Array.from({ length: 8 }, (_, i) => {
        const path = join(dir, `task-${i}.json`);
        writeFileSync(path, `{"id":"${i}"}`);
        const fd = openSync(path, 'r');
        fds.push(fd);
        return { fd, text: `{"id":"${i}"}` };
      });
      answer(false); // the late answer: the init is gone
      await new Promise((r) => setTimeout(r, 50));
      for (const v of victims) {
        const buf = Buffer.alloc(64);
        expect(buf.subarray(0, readSync(v.fd, buf, 0, 64, null)).toString()).toBe(v.text);
      }
    } finally {
      for (const fd of fds) closeSync(fd);
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
