import { execFileSync, spawn, spawnSync } from 'node:child_process';
import {
  closeSync,
  constants,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readlinkSync,
  readSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeTempDir } from '@tscr/testkit';
import { EarlyExecFifo, releaseViaExecFifo } from '../../src/local/exec-fifo.js';

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

/** The descriptors of this process open on `path`. */
function fdsOn(path: string): string[] {
  return readdirSync('/proc/self/fd').filter((fd) => {
    try {
      return readlinkSync(`/proc/self/fd/${fd}`) === path;
    } catch {
      return false; // closed meanwhile (readdir's own)
    }
  });
}

/** True when a reader holds `fifo` open: a non-blocking open for writing fails with ENXIO without one. */
function hasReader(fifo: string): boolean {
  try {
    closeSync(openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK));
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENXIO') return false;
    throw err;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.each([
  ['watching for the fifo', { watch: true }],
  ['polling for it', { watch: false, pollMs: 1 }],
])('EarlyExecFifo, %s', (_how, seams: { watch: boolean; pollMs?: number }) => {
  /** runc's layout in a temp root: `<root>/<id>/exec.fifo`; `make()` does what `runc create` does. */
  async function withTask(fn: (t: { fifo: string; make: () => void }) => Promise<void>): Promise<void> {
    const root = await makeTempDir('early-fifo');
    const taskDir = join(root, 'task-1');
    const fifo = join(taskDir, 'exec.fifo');
    try {
      await fn({
        fifo,
        make: () => {
          mkdirSync(taskDir);
          execFileSync('mkfifo', [fifo]);
        },
      });
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  }

  /** What runc's init does: open the fifo for writing (blocking until a reader is there), write one byte. */
  function initWrites(fifo: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const child = spawn('sh', ['-c', `printf 0 > ${fifo}`]);
      child.on('error', reject);
      child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`writer exited ${code}`))));
    });
  }

  it('opens the fifo once it appears, before the init gets there; the byte releases it and removes the fifo', async () => {
    await withTask(async ({ fifo, make }) => {
      const early = new EarlyExecFifo(fifo, seams);
      await sleep(20);
      expect(early.opened).toBe(false);
      make();
      await sleep(30);
      expect(early.opened).toBe(true);
      expect(hasReader(fifo)).toBe(true);
      await initWrites(fifo); // the init's open does not block: the reader is there
      early.created(process.pid); // the monitor reports after the byte
      expect(await early.released()).toBe(true);
      expect(early.releasedAt).toBeGreaterThan(0);
      expect(existsSync(fifo)).toBe(false);
      early.close();
      expect(fdsOn(fifo)).toEqual([]);
    });
  });

  it('finds a fifo made before it started looking; a byte that came long before `created` still counts', async () => {
    await withTask(async ({ fifo, make }) => {
      make();
      const early = new EarlyExecFifo(fifo, seams);
      await sleep(20);
      await initWrites(fifo);
      await sleep(20);
      early.created(deadPid()); // the process has exited already
      expect(await early.released()).toBe(true);
      early.close();
      expect(fdsOn(fifo)).toEqual([]);
    });
  });

  it('settles false when the init dies before writing, and closes its descriptor', async () => {
    await withTask(async ({ fifo, make }) => {
      make();
      const early = new EarlyExecFifo(fifo, seams);
      await sleep(10);
      early.created(deadPid());
      expect(await early.released()).toBe(false);
      expect(existsSync(fifo)).toBe(true); // left for the ordinary start (which then finds the init gone)
      expect(fdsOn(fifo)).toEqual([]);
      expect(hasReader(fifo)).toBe(false);
      early.close();
    });
  });

  it('when the fifo never appeared (the create failed), `close` and `created` leave no watch, poll or reader', async () => {
    await withTask(async ({ fifo, make }) => {
      const early = new EarlyExecFifo(fifo, seams);
      await sleep(10);
      early.close(); // the create failed before runc made the fifo
      make();
      await sleep(20); // a watch or poll still running would open it now
      expect(hasReader(fifo)).toBe(false);
      expect(await early.released()).toBe(false);
    });
    await withTask(async ({ fifo, make }) => {
      const early = new EarlyExecFifo(fifo, seams);
      early.created(process.pid); // succeeded, but no fifo: nothing to wait for
      expect(await early.released()).toBe(false);
      make();
      await sleep(20);
      expect(hasReader(fifo)).toBe(false);
    });
  });

  it('close (a failed create, a delete before the start, an abort) ends a wait in progress and frees the fd', async () => {
    await withTask(async ({ fifo, make }) => {
      make();
      let checks = 0;
      const alive = async () => {
        checks++;
        return true;
      };
      const early = new EarlyExecFifo(fifo, { ...seams, alive });
      await sleep(10);
      early.created(process.pid);
      await sleep(120); // liveness checks running
      expect(checks).toBeGreaterThan(0);
      const released = early.released();
      early.close();
      expect(await released).toBe(false);
      expect(fdsOn(fifo)).toEqual([]);
      expect(hasReader(fifo)).toBe(false); // the init, were it to arrive now, waits for the ordinary start
      const seen = checks;
      await sleep(120);
      expect(checks).toBe(seen); // no timer left behind
      early.close(); // twice is fine
    });
  });
});

describe('EarlyExecFifo without a root to watch', () => {
  it('polls instead', async () => {
    const dir = await makeTempDir('early-fifo');
    try {
      const fifo = join(dir, 'no-root', 'task-1', 'exec.fifo'); // runc's root is made later
      const early = new EarlyExecFifo(fifo, { pollMs: 1 });
      await sleep(10);
      mkdirSync(dirname(fifo), { recursive: true });
      execFileSync('mkfifo', [fifo]);
      await sleep(30);
      expect(early.opened).toBe(true);
      early.close();
      expect(fdsOn(fifo)).toEqual([]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('EarlyExecFifo and the create signal', () => {
  it('an abort before `created` closes it; after `created` the signal is let go', async () => {
    const dir = await makeTempDir('early-fifo');
    try {
      const fifo = join(dir, 'task-1', 'exec.fifo');
      mkdirSync(dirname(fifo));
      execFileSync('mkfifo', [fifo]);
      const ac = new AbortController();
      const early = new EarlyExecFifo(fifo, { signal: ac.signal });
      await sleep(20);
      expect(hasReader(fifo)).toBe(true);
      ac.abort();
      expect(hasReader(fifo)).toBe(false);
      expect(await early.released()).toBe(false);
      expect(fdsOn(fifo)).toEqual([]);

      const kept = new AbortController();
      let listeners = 0;
      const signal = kept.signal;
      const add = signal.addEventListener.bind(signal);
      const remove = signal.removeEventListener.bind(signal);
      signal.addEventListener = ((...args: Parameters<typeof add>) => {
        listeners++;
        add(...args);
      }) as typeof add;
      signal.removeEventListener = ((...args: Parameters<typeof remove>) => {
        listeners--;
        remove(...args);
      }) as typeof remove;
      const second = new EarlyExecFifo(fifo, { signal });
      expect(listeners).toBe(1);
      second.created(process.pid);
      expect(listeners).toBe(0); // a long-lived signal collects no listeners
      second.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
