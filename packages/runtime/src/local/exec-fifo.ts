import { constants, openSync, readSync, unlinkSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { Socket } from 'node:net';

/** How often to check that the init process still exists while waiting for its byte. */
const LIVENESS_CHECK_MS = 50;

/** True while `pid` exists and is not a zombie. */
async function alive(pid: number): Promise<boolean> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** True when the (non-blocking) fifo `fd` has a byte to read now; it is consumed. */
function byteWaiting(fd: number): boolean {
  try {
    return readSync(fd, Buffer.alloc(1), 0, 1, null) > 0;
  } catch {
    return false; // EAGAIN: nothing was written
  }
}

/** Test seams of {@link releaseViaExecFifo}. */
export interface ExecFifoOptions {
  /** Whether the init process still exists; default: its /proc entry is there and not a zombie. */
  alive?: (pid: number) => Promise<boolean>;
}

/**
 * Starts a created runc container without running `runc start`. runc's init
 * waits, blocked opening `<root>/<id>/exec.fifo` for writing, until a reader
 * opens it; it then writes one byte and execs the user process. Reading that
 * byte and removing the fifo is what `runc start` does, minus a Go process
 * start on the `run` hot path.
 *
 * The fifo is opened read-write and non-blocking: the open never blocks, the
 * read never sees a spurious end of file, and a check that `initPid` still
 * lives ends the wait if the init dies first.
 *
 * The descriptor is touched only while the wait is open: once it settles the
 * socket closes it, the kernel hands its number to the next file the daemon
 * opens, and a liveness answer that comes late must not read from that file
 * (it did: it ate the first byte of another task's task.json, whose start
 * then failed with NotFound "no such task" — found by the soak).
 * @returns true when the init process was released; false when the caller
 * should fall back to `runc start` (no fifo, or the init is gone).
 */
export async function releaseViaExecFifo(fifo: string, initPid: number, opts: ExecFifoOptions = {}): Promise<boolean> {
  const isAlive = opts.alive ?? alive;
  // Synchronous open and unlink: a non-blocking open of a fifo never waits, and both are cheaper than
  // the thread-pool round trips they replace on the start path.
  let fd: number;
  try {
    fd = openSync(fifo, constants.O_RDWR | constants.O_NONBLOCK);
  } catch {
    return false;
  }
  const socket = new Socket({ fd, readable: true, writable: false });
  let timer: NodeJS.Timeout | undefined;
  let settled = false;
  const released = await new Promise<boolean>((resolve) => {
    const settle = (value: boolean) => {
      settled = true;
      resolve(value);
    };
    socket.once('data', () => settle(true));
    socket.once('error', () => settle(false));
    const check = async () => {
      const live = await isAlive(initPid);
      if (settled) return; // the wait ended meanwhile: `fd` may already name another file
      if (live) timer = setTimeout(check, LIVENESS_CHECK_MS);
      // Gone: but a short-lived process (`true`) may have written its byte and exited before the
      // socket's read was dispatched (a busy event loop), so look at the fifo itself before giving up.
      else settle(byteWaiting(fd));
    };
    timer = setTimeout(check, LIVENESS_CHECK_MS);
  });
  clearTimeout(timer);
  socket.destroy();
  if (released) {
    try {
      unlinkSync(fifo);
    } catch {
      // already gone
    }
  }
  return released;
}
