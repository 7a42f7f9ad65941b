import { type FSWatcher, constants, existsSync, openSync, readSync, unlinkSync, watch } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { Socket } from 'node:net';
import { basename, dirname } from 'node:path';

/** How often to check that the init process still exists while waiting for its byte. */
const LIVENESS_CHECK_MS = 50;
/** How often an early release looks for the fifo when it cannot watch for it (inotify refused). */
const FIFO_POLL_MS = 4;

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

/**
 * Opens the fifo read-write and non-blocking: the open never blocks (and,
 * as a reader, lets the init's open for writing through), the read never
 * sees a spurious end of file. Synchronous: cheaper than a thread-pool trip.
 */
function openFifo(path: string): number | undefined {
  try {
    return openSync(path, constants.O_RDWR | constants.O_NONBLOCK);
  } catch {
    return undefined;
  }
}

/** Removes the fifo: runc then reports the container as running, and `runc start` would refuse it. */
function removeFifo(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
}

/** Test seams of {@link releaseViaExecFifo} and {@link EarlyExecFifo}. */
export interface ExecFifoOptions {
  /** Whether the init process still exists; default: its /proc entry is there and not a zombie. */
  alive?: (pid: number) => Promise<boolean>;
  /** {@link EarlyExecFifo}: false: poll for the fifo instead of watching for it. Default true. */
  watch?: boolean;
  /** {@link EarlyExecFifo}: how often it polls for the fifo when it does, ms. Default 4. */
  pollMs?: number;
  /** {@link EarlyExecFifo}: the create's signal; an abort before {@link EarlyExecFifo.created} closes it. */
  signal?: AbortSignal;
}

/**
 * A reader on an open exec fifo, waiting for the init's byte.
 *
 * The descriptor is touched only while the wait is open: once it settles the
 * socket closes it, the kernel hands its number to the next file the daemon
 * opens, and a liveness answer that comes late must not read from that file
 * (it did: it ate the first byte of another task's task.json, whose start
 * then failed with NotFound "no such task" — found by the soak).
 */
class FifoReader {
  /** True once the byte came; false when the init died first, or on {@link close}. */
  readonly released: Promise<boolean>;
  private resolve!: (value: boolean) => void;
  private settled = false;
  private timer: NodeJS.Timeout | undefined;
  private readonly socket: Socket;

  constructor(
    private readonly fd: number,
    private readonly isAlive: (pid: number) => Promise<boolean>,
    /** Called (synchronously) when the byte came. */
    private readonly onByte: () => void,
  ) {
    this.released = new Promise<boolean>((resolve) => (this.resolve = resolve));
    this.socket = new Socket({ fd, readable: true, writable: false });
    this.socket.once('data', () => this.settle(true));
    this.socket.on('error', () => this.settle(false));
  }

  /** Starts checking that the init `pid` lives: its death ends the wait, after a last look at the fifo. */
  watchInit(pid: number): void {
    if (this.settled || this.timer) return;
    const check = async () => {
      const live = await this.isAlive(pid);
      if (this.settled) return; // the wait ended meanwhile: `fd` may already name another file
      if (live) this.timer = setTimeout(check, LIVENESS_CHECK_MS);
      // Gone: but a short-lived process (`true`) may have written its byte and exited before the
      // socket's read was dispatched (a busy event loop), so look at the fifo itself before giving up.
      else this.settle(byteWaiting(this.fd));
    };
    this.timer = setTimeout(check, LIVENESS_CHECK_MS);
  }

  /** Ends the wait (false unless the byte already came) and closes the descriptor. */
  close(): void {
    this.settle(false);
  }

  private settle(value: boolean): void {
    if (this.settled) return;
    this.settled = true;
    clearTimeout(this.timer);
    this.socket.destroy();
    if (value) this.onByte();
    this.resolve(value);
  }
}

/**
 * Starts a created runc container without running `runc start`. runc's init
 * waits, blocked opening `<root>/<id>/exec.fifo` for writing, until a reader
 * opens it; it then writes one byte and execs the user process. Reading that
 * byte and removing the fifo is what `runc start` does, minus a Go process
 * start on the `run` hot path. A check that `initPid` still lives ends the
 * wait if the init dies first.
 * @returns true when the init process was released; false when the caller
 * should fall back to `runc start` (no fifo, or the init is gone).
 */
export async function releaseViaExecFifo(fifo: string, initPid: number, opts: ExecFifoOptions = {}): Promise<boolean> {
  const fd = openFifo(fifo);
  if (fd === undefined) return false;
  const reader = new FifoReader(fd, opts.alive ?? alive, () => removeFifo(fifo));
  reader.watchInit(initPid);
  return reader.released;
}

/**
 * The early release of a task's init: a reader on its exec fifo from the
 * moment `runc create` makes it, so the init — which opens the fifo only
 * after its namespaces, mounts, pivot_root and seccomp, once runc has saved
 * the container's state — writes its byte and execs the user process at
 * once, while `runc create` is still finishing and before the monitor
 * reports. See `startEarly` of {@link TaskRuntime.create}.
 *
 * Made before the monitor starts, it watches (inotify, through `fs.watch`)
 * runc's root for the task's directory, then that directory for the fifo,
 * and opens it the moment it is made; where a watch is refused it polls
 * every few ms instead. Looking ends at the open, at {@link created} (the
 * create succeeded: the fifo exists if it ever will) or {@link close}. The
 * byte removes the fifo (runc's state then says running). Every path ends in
 * {@link close}, which stops the watches, polls and liveness checks and
 * closes the descriptor: a create that failed, a task that is deleted before
 * its start, the start itself.
 */
export class EarlyExecFifo {
  private reader: FifoReader | undefined;
  private poll: NodeJS.Timeout | undefined;
  private readonly watchers: FSWatcher[] = [];
  private taskDirWatched = false;
  private closed = false;
  /** When the byte came (`performance.now()`); undefined until then. */
  releasedAt: number | undefined;
  private readonly isAlive: (pid: number) => Promise<boolean>;
  private readonly pollMs: number;
  private readonly signal: AbortSignal | undefined;
  private readonly onAbort = () => this.close();

  constructor(
    /** `<runc-root>/<id>/exec.fifo`. */
    readonly fifo: string,
    opts: ExecFifoOptions = {},
  ) {
    this.isAlive = opts.alive ?? alive;
    this.pollMs = opts.pollMs ?? FIFO_POLL_MS;
    this.signal = opts.signal;
    this.signal?.addEventListener('abort', this.onAbort, { once: true });
    if (this.signal?.aborted) this.close();
    else if (opts.watch === false) this.schedule();
    else this.watchRoot();
  }

  /** True once the fifo is open (the init, when it gets there, goes on at once). */
  get opened(): boolean {
    return this.reader !== undefined;
  }

  /**
   * The create succeeded and the init is `pid`: stops looking for the fifo
   * (one last try: it exists now unless the init is past it) and watches the
   * init, whose death ends the wait for its byte.
   */
  created(pid: number): void {
    this.signal?.removeEventListener('abort', this.onAbort);
    this.stopLooking();
    if (this.closed) return;
    if (!this.reader) this.tryOpen();
    this.reader?.watchInit(pid);
  }

  /**
   * Whether the init was released (its byte came and the fifo is gone).
   * False at once when the fifo was never opened, and when the init died
   * first: the caller then falls back to the ordinary start.
   */
  released(): Promise<boolean> {
    return this.reader?.released ?? Promise.resolve(false);
  }

  /** Stops everything and closes the descriptor; {@link released} then settles (true only if the byte came). */
  close(): void {
    this.closed = true;
    this.signal?.removeEventListener('abort', this.onAbort);
    this.stopLooking();
    this.reader?.close();
  }

  /** Watches runc's root for the task's directory (made by `runc create` just before the fifo). */
  private watchRoot(): void {
    const taskDir = dirname(this.fifo);
    if (!this.watch(dirname(taskDir), basename(taskDir), () => this.watchTaskDir(taskDir))) return;
    if (existsSync(taskDir)) this.watchTaskDir(taskDir); // made before the watch was in place
  }

  private watchTaskDir(dir: string): void {
    if (this.taskDirWatched || this.closed) return;
    this.taskDirWatched = true;
    if (this.watch(dir, basename(this.fifo), () => this.look())) this.look(); // made before the watch
  }

  /** Calls `found` when `name` appears in `dir`; false (polling instead) when the watch is refused. */
  private watch(dir: string, name: string, found: () => void): boolean {
    let watcher: FSWatcher;
    try {
      // Not persistent: a pending watch keeps no process alive.
      watcher = watch(dir, { persistent: false }, (_event, file) => {
        if (file === name) found();
      });
    } catch {
      this.fallBack();
      return false;
    }
    watcher.on('error', () => this.fallBack());
    this.watchers.push(watcher);
    return true;
  }

  private look(): void {
    if (!this.closed && !this.reader && this.tryOpen()) this.stopLooking();
  }

  /** A watch was refused or failed: poll instead. */
  private fallBack(): void {
    if (this.closed || this.reader || this.poll) return;
    this.closeWatchers();
    this.schedule();
  }

  private schedule(): void {
    this.poll = setTimeout(() => {
      this.poll = undefined;
      if (!this.closed && !this.reader && !this.tryOpen()) this.schedule();
    }, this.pollMs);
  }

  private stopLooking(): void {
    clearTimeout(this.poll);
    this.poll = undefined;
    this.closeWatchers();
  }

  private closeWatchers(): void {
    for (const w of this.watchers.splice(0)) w.close();
  }

  private tryOpen(): boolean {
    const fd = openFifo(this.fifo);
    if (fd === undefined) return false;
    this.reader = new FifoReader(fd, this.isAlive, () => {
      this.releasedAt = performance.now();
      removeFifo(this.fifo);
    });
    return true;
  }
}
