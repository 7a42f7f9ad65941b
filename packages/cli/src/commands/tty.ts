import { childProcess } from '../builtin.js';
import { usageError } from '../args.js';

/** Docker's default detach sequence. */
export const DEFAULT_DETACH_KEYS = 'ctrl-p,ctrl-q';

/** `ctrl-X` for these non-letters, as docker reads them. */
const CTRL_SYMBOLS: Record<string, number> = { '@': 0, '[': 27, '\\': 28, ']': 29, '^': 30, _: 31 };

/**
 * Parses `--detach-keys` (docker's format): comma-separated keys, each a
 * single character or `ctrl-<letter>` / `ctrl-@ [ \ ] ^ _`.
 * @throws a usage error for anything else.
 */
export function parseDetachKeys(spec: string): Uint8Array {
  const keys: number[] = [];
  for (const part of spec.split(',')) {
    const key = part.trim();
    if (key.length === 1) {
      keys.push(key.charCodeAt(0));
      continue;
    }
    const m = /^ctrl-(.)$/i.exec(key);
    const c = m?.[1];
    if (c && /^[a-z]$/i.test(c)) keys.push(c.toLowerCase().charCodeAt(0) - 96);
    else if (c && CTRL_SYMBOLS[c] !== undefined) keys.push(CTRL_SYMBOLS[c]);
    else throw usageError(`invalid detach keys (${spec}): unknown character: '${key}'`);
  }
  return Uint8Array.from(keys);
}

/**
 * Finds the detach sequence in keyboard input. Bytes that begin the sequence
 * are held back until it is complete (detach) or broken (they are sent).
 */
export class DetachScanner {
  private matched = 0;

  constructor(private readonly keys: Uint8Array) {}

  /** The bytes to send on, and whether the sequence was completed (bytes after it are dropped). */
  feed(chunk: Uint8Array): { data: Uint8Array; detach: boolean } {
    const out: number[] = [];
    for (const b of chunk) {
      if (b === this.keys[this.matched]) {
        this.matched += 1;
        if (this.matched === this.keys.length) return { data: Uint8Array.from(out), detach: true };
        continue;
      }
      for (let i = 0; i < this.matched; i++) out.push(this.keys[i]!);
      this.matched = 0;
      if (b === this.keys[0]) {
        this.matched = 1;
        if (this.keys.length === 1) return { data: Uint8Array.from(out), detach: true };
      } else out.push(b);
    }
    return { data: Uint8Array.from(out), detach: false };
  }
}

/** A stream that may be a terminal (`process.stdin`/`process.stdout` when attached to one). */
interface MaybeTty {
  isTTY?: boolean;
  fd?: number;
  setRawMode?: (raw: boolean) => unknown;
  columns?: number;
  rows?: number;
}

/** True when `stream` is a terminal. */
export function isTerminal(stream: unknown): boolean {
  return Boolean((stream as MaybeTty | undefined)?.isTTY);
}

/**
 * Puts a terminal stdin in raw mode (keys go to the container as typed:
 * Ctrl-C is a byte for its terminal, not a signal for us). Returns the
 * restore function; a no-op when stdin is not a terminal.
 */
export function makeRaw(stdin: unknown): () => void {
  const s = stdin as MaybeTty | undefined;
  if (!s?.isTTY || !s.setRawMode) return () => undefined;
  s.setRawMode(true);
  // libuv's raw mode keeps output post-processing (\n → \r\n), which breaks full-screen programs:
  // the container's terminal already did it. Leaving raw mode restores the saved settings.
  // child_process loads here, not with the CLI: only terminal sessions need it.
  if (typeof s.fd === 'number') childProcess().spawnSync('stty', ['-opost'], { stdio: [s.fd, 'ignore', 'ignore'] });
  let restored = false;
  return () => {
    if (restored) return;
    restored = true;
    s.setRawMode?.(false);
  };
}

/** The terminal size of `stdout`, when it is a terminal. */
export function terminalSize(stdout: unknown): { width: number; height: number } | undefined {
  const s = stdout as MaybeTty | undefined;
  if (!s?.isTTY || !s.columns || !s.rows) return undefined;
  return { width: s.columns, height: s.rows };
}

/** Options of {@link readInput}. */
export interface InputOptions {
  /** Scans for the detach keys (only for a terminal stdin: piped data passes untouched). */
  scanner?: DetachScanner;
  /** Called when the detach keys were typed; the input then ends. */
  onDetach?: () => void;
  /** Ends the input (the session is over). */
  signal: AbortSignal;
}

/**
 * The local stdin as the container's input: ends at EOF, at the detach keys
 * or when `signal` aborts. Reading pauses while the consumer does not pull.
 */
export async function* readInput(stream: NodeJS.ReadableStream, o: InputOptions): AsyncGenerator<Uint8Array> {
  const it = (stream as AsyncIterable<Buffer | string>)[Symbol.asyncIterator]();
  const stop = new Promise<undefined>((resolve) => {
    if (o.signal.aborted) resolve(undefined);
    o.signal.addEventListener('abort', () => resolve(undefined), { once: true });
  });
  try {
    for (;;) {
      const r = await Promise.race([it.next(), stop]);
      if (!r || r.done) return;
      const chunk = typeof r.value === 'string' ? Buffer.from(r.value) : r.value;
      if (!o.scanner) {
        yield chunk;
        continue;
      }
      const { data, detach } = o.scanner.feed(chunk);
      if (data.length > 0) yield data;
      if (detach) {
        o.onDetach?.();
        return;
      }
    }
  } finally {
    void it.return?.();
  }
}
