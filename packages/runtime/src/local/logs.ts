import { readSync, statSync, watch, type FSWatcher } from 'node:fs';
import { open, stat, type FileHandle } from 'node:fs/promises';
import type { LogEntry } from '@tscr/api';
import { fromSystemError, invalidArgument } from '@tscr/api';

/** Options of {@link readLogs}. */
export interface ReadLogsOptions {
  /** Keep reading as the file grows, until `stopped` resolves (or `signal` aborts). */
  follow?: boolean;
  /** Start with only the last `tail` messages (a message is a run of `P` lines ended by an `F` line). */
  tail?: number;
  /** Only entries at or after this time (a Date or RFC 3339, nanoseconds allowed). */
  since?: Date | string;
  /** Only entries before this time. */
  until?: Date | string;
  /** Include stdout. When neither `stdout` nor `stderr` is set both are included; otherwise each defaults to false. */
  stdout?: boolean;
  /** Include stderr (see `stdout`). */
  stderr?: boolean;
  /** Start at this byte offset (from {@link logOffset}); must be at a line start. Ignored with `tail`. */
  offset?: number;
  /** Start at the current end of the file (as `offset: await logOffset(path)`). */
  fromEnd?: boolean;
  /** Aborting ends the iteration quietly. */
  signal?: AbortSignal;
  /** In follow mode: once this settles, the rest of the file is read and the iteration ends. */
  stopped?: Promise<unknown>;
  /** In follow mode: how often to look for growth when no change event arrives. Default 1000 ms. */
  pollIntervalMs?: number;
}

const CHUNK = 64 * 1024;
const NL = 0x0a;
const SP = 0x20;
const TIME = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$/;

/** Nanoseconds since the epoch of an RFC 3339 time (fractions to the nanosecond). */
export function parseTimeNs(time: string): bigint | undefined {
  const m = TIME.exec(time.trim());
  if (!m) return undefined;
  const ms = Date.parse(`${m[1]}${m[3]}`);
  if (Number.isNaN(ms)) return undefined;
  return BigInt(ms) * 1_000_000n + BigInt((m[2] ?? '').padEnd(9, '0'));
}

function boundNs(value: Date | string | undefined, name: string): bigint | undefined {
  if (value === undefined) return undefined;
  if (value instanceof Date) return BigInt(value.getTime()) * 1_000_000n;
  const ns = parseTimeNs(value);
  if (ns === undefined) throw invalidArgument(`invalid ${name} time: ${value}`);
  return ns;
}

/**
 * Parses one k8s-file line (without its newline):
 * `<RFC3339Nano> <stdout|stderr> <F|P> <content>`. A full (`F`) line gets
 * its `\n` back; a partial (`P`) one does not. Undefined for anything else.
 */
export function parseLogLine(line: Uint8Array): LogEntry | undefined {
  const b = Buffer.from(line.buffer, line.byteOffset, line.byteLength);
  const s1 = b.indexOf(SP);
  const s2 = s1 < 0 ? -1 : b.indexOf(SP, s1 + 1);
  if (s2 < 0) return undefined;
  const s3 = b.indexOf(SP, s2 + 1);
  const stream = b.toString('latin1', s1 + 1, s2);
  const tag = b.toString('latin1', s2 + 1, s3 < 0 ? b.length : s3);
  if ((stream !== 'stdout' && stream !== 'stderr') || (tag !== 'F' && tag !== 'P')) return undefined;
  const content = s3 < 0 ? Buffer.alloc(0) : b.subarray(s3 + 1);
  const data = Buffer.allocUnsafe(content.length + (tag === 'F' ? 1 : 0));
  content.copy(data);
  if (tag === 'F') data[content.length] = NL;
  return { stream, time: b.toString('latin1', 0, s1), data };
}

/** `statSync`, or undefined when the file cannot be stat'ed (being rotated, removed). */
function statOrUndefined(path: string): { ino: number } | undefined {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}

/** True when a raw line's tag is `F` (it ends a message). */
function isFullLine(line: Buffer): boolean {
  const s1 = line.indexOf(SP);
  const s2 = s1 < 0 ? -1 : line.indexOf(SP, s1 + 1);
  return s2 >= 0 && line[s2 + 1] === 0x46 /* F */ && (line.length === s2 + 2 || line[s2 + 2] === SP);
}

/** The current size of the log: where an attach that wants only new output starts. */
export async function logOffset(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch (err) {
    throw fromSystemError(err, `cannot read log ${path}`);
  }
}

/**
 * Byte offset where the last `n` messages within the first `size` bytes
 * begin, found by scanning backwards a chunk at a time. An unterminated last
 * line (still being written) is not counted.
 */
export async function tailOffset(fh: FileHandle, size: number, n: number): Promise<number> {
  if (n <= 0) return size;
  let bufStart = size;
  let buf = Buffer.alloc(0);
  const more = async (): Promise<boolean> => {
    if (bufStart === 0) return false;
    const len = Math.min(CHUNK, bufStart);
    const chunk = Buffer.allocUnsafe(len);
    const { bytesRead } = await fh.read(chunk, 0, len, bufStart - len);
    bufStart -= len;
    buf = Buffer.concat([chunk.subarray(0, bytesRead), buf]);
    return true;
  };
  while (buf.lastIndexOf(NL) < 0) if (!(await more())) return 0;
  const lastNl = buf.lastIndexOf(NL);
  buf = buf.subarray(0, lastNl + 1);
  let messages = 0;
  for (;;) {
    let prevNl = buf.lastIndexOf(NL, buf.length - 2);
    while (prevNl < 0 && (await more())) prevNl = buf.lastIndexOf(NL, buf.length - 2);
    const lineEnd = bufStart + buf.length;
    if (isFullLine(buf.subarray(prevNl + 1, buf.length - 1))) {
      if (messages === n) return lineEnd;
      messages += 1;
    } else if (messages === 0) {
      messages = 1;
    }
    if (prevNl < 0) return bufStart;
    buf = buf.subarray(0, prevNl + 1);
  }
}

/** Counts the messages in the first `size` bytes (an unfinished last message counts as one). */
async function countMessages(fh: FileHandle, size: number): Promise<number> {
  let count = 0;
  let pos = 0;
  let pending = Buffer.alloc(0);
  let open = false;
  const chunk = Buffer.allocUnsafe(CHUNK);
  while (pos < size) {
    const { bytesRead } = await fh.read(chunk, 0, Math.min(CHUNK, size - pos), pos);
    if (bytesRead === 0) break;
    pos += bytesRead;
    const data = pending.length ? Buffer.concat([pending, chunk.subarray(0, bytesRead)]) : chunk.subarray(0, bytesRead);
    let start = 0;
    for (let nl = data.indexOf(NL); nl >= 0; nl = data.indexOf(NL, start)) {
      if (isFullLine(data.subarray(start, nl))) {
        count += 1;
        open = false;
      } else open = true;
      start = nl + 1;
    }
    pending = Buffer.from(data.subarray(start));
  }
  return count + (open ? 1 : 0);
}

/** Opens the rotated files of `path` (`path.1`, `path.2`, …), oldest first. */
async function openRotated(path: string): Promise<FileHandle[]> {
  const out: FileHandle[] = [];
  for (let n = 1; n <= 1000; n++) {
    try {
      out.unshift(await open(`${path}.${n}`, 'r'));
    } catch {
      break;
    }
  }
  return out;
}

/** Where the last `n` messages over `files` (oldest first) begin. */
async function tailStart(files: FileHandle[], n: number): Promise<{ index: number; pos: number }> {
  let remaining = n;
  for (let i = files.length - 1; i >= 0; i--) {
    const fh = files[i]!;
    const size = (await fh.stat()).size;
    if (remaining <= 0) return { index: i, pos: size };
    const pos = await tailOffset(fh, size, remaining);
    if (pos > 0) return { index: i, pos };
    remaining -= await countMessages(fh, size);
    if (remaining <= 0) return { index: i, pos: 0 };
  }
  return { index: 0, pos: 0 };
}

/**
 * Reads a conmon k8s-file log as {@link LogEntry}s, the rotated files
 * (`path.N` … `path.1`, see log-rotate.ts) first. Pull-based: files are read
 * a chunk at a time as the consumer asks, so nothing is buffered without
 * bound. With `follow`, at the end of the file it waits for growth
 * (fs.watch plus a slow poll), moves on to the new file when the log is
 * rotated, and ends once `stopped` has settled and the file is drained, or
 * when `signal` aborts.
 * @throws NotFound when the file does not exist; InvalidArgument for a bad time.
 */
export async function* readLogs(path: string, opts: ReadLogsOptions = {}): AsyncGenerator<LogEntry, void, undefined> {
  const sinceNs = boundNs(opts.since, 'since');
  const untilNs = boundNs(opts.until, 'until');
  const both = opts.stdout === undefined && opts.stderr === undefined;
  const want = { stdout: both || opts.stdout === true, stderr: both || opts.stderr === true };
  const { signal } = opts;
  let fh: FileHandle;
  try {
    fh = await open(path, 'r');
  } catch (err) {
    throw fromSystemError(err, `cannot read log ${path}`);
  }
  // Opened up front, so a rotation while reading loses nothing.
  const rotated = opts.fromEnd || (opts.offset !== undefined && opts.tail === undefined) ? [] : await openRotated(path);
  let stopped = false;
  let dirty = false;
  let wake: (() => void) | undefined;
  const onStopped = () => {
    stopped = true;
    wake?.();
  };
  opts.stopped?.then(onStopped, onStopped);
  const onAbort = () => wake?.();
  signal?.addEventListener('abort', onAbort, { once: true });
  let watcher: FSWatcher | undefined;
  const chunk = Buffer.allocUnsafe(CHUNK);
  let pos = 0;
  let pending = Buffer.alloc(0);
  /**
   * Reads `file` from `pos` to its current end, yielding the wanted entries.
   * `now`: read synchronously — the last pass of a follow whose task has
   * stopped, which an attach's end (and so a `run`'s) waits for: a local
   * read of what is left takes microseconds, a thread-pool trip queued behind
   * the daemon's other file work a millisecond and more.
   */
  async function* drain(file: FileHandle, now = false): AsyncGenerator<LogEntry, boolean, undefined> {
    for (;;) {
      if (signal?.aborted) return false;
      const bytesRead = now
        ? readSync(file.fd, chunk, 0, CHUNK, pos)
        : (await file.read(chunk, 0, CHUNK, pos)).bytesRead;
      if (bytesRead === 0) return true;
      pos += bytesRead;
      const data = pending.length
        ? Buffer.concat([pending, chunk.subarray(0, bytesRead)])
        : chunk.subarray(0, bytesRead);
      let start = 0;
      for (let nl = data.indexOf(NL); nl >= 0; nl = data.indexOf(NL, start)) {
        const entry = parseLogLine(data.subarray(start, nl));
        start = nl + 1;
        if (!entry || !want[entry.stream]) continue;
        if (sinceNs !== undefined || untilNs !== undefined) {
          const t = parseTimeNs(entry.time);
          if (t !== undefined && sinceNs !== undefined && t < sinceNs) continue;
          if (t !== undefined && untilNs !== undefined && t >= untilNs) continue;
        }
        yield entry;
        if (signal?.aborted) return false;
      }
      pending = Buffer.from(data.subarray(start));
    }
  }
  try {
    const files = [...rotated, fh];
    let index = files.length - 1;
    if (opts.tail !== undefined) ({ index, pos } = await tailStart(files, opts.tail));
    else if (opts.fromEnd) pos = (await fh.stat()).size;
    else if (opts.offset !== undefined) pos = opts.offset;
    else index = 0;
    for (; index < files.length - 1; index++) {
      if (!(yield* drain(files[index]!))) return;
      pos = 0;
      pending = Buffer.alloc(0);
    }
    let ino = (await fh.stat()).ino;
    for (;;) {
      const stoppedBeforePass = stopped;
      dirty = false;
      if (!(yield* drain(fh, stoppedBeforePass))) return;
      if (!opts.follow || signal?.aborted) return;
      // Rotated: the monitor writes to a new file at `path` once it exists; the old one is complete.
      const now = stoppedBeforePass ? statOrUndefined(path) : await stat(path).catch(() => undefined);
      if (now && now.ino !== ino) {
        if (!(yield* drain(fh, stoppedBeforePass))) return;
        const next = await open(path, 'r').catch(() => undefined);
        if (next) {
          await fh.close();
          fh = next;
          ino = (await fh.stat()).ino;
          pos = 0;
          pending = Buffer.alloc(0);
          watcher?.close();
          watcher = undefined;
          continue;
        }
      }
      if (stoppedBeforePass) return;
      if (!watcher) {
        try {
          watcher = watch(path, () => {
            dirty = true;
            wake?.();
          });
          watcher.on('error', () => undefined);
        } catch {
          // Being rotated right now: the poll picks the new file up.
        }
      }
      if (dirty || stopped || signal?.aborted) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, opts.pollIntervalMs ?? 1000);
        function done() {
          clearTimeout(timer);
          wake = undefined;
          resolve();
        }
        wake = done;
      });
    }
  } finally {
    signal?.removeEventListener('abort', onAbort);
    watcher?.close();
    // Not awaited: the reader is done, and a follow that ends with its task (an attach) need not wait for the
    // thread pool to close the files before it ends.
    void Promise.all([fh, ...rotated].map((f) => f.close().catch(() => undefined)));
  }
}
