import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, constants, type Stats, statSync } from 'node:fs';
import { fromSystemError, internal } from '@tscr/api';
import type { SpawnOutcome, SpawnRequest } from './monitor-spawner.js';

/** One reply line of `tscr-relay spawner`: `SEQ line TEXT`, `SEQ exit CODE` or `SEQ error ERRNO STEP`. */
type Reply =
  | { kind: 'line'; text: string }
  | { kind: 'exit'; code: number }
  | { kind: 'error'; errno: string; step: string };

/** A request frame: a 4-byte big-endian length, then NUL-terminated fields (see native/relay/spawner.c). */
export function encodeRequest(seq: number, req: SpawnRequest): Buffer {
  const env = Object.entries(req.env).map(([k, v]) => `${k}=${v}`);
  const fields = [String(seq), req.file, req.cwd ?? process.cwd(), req.logPath];
  fields.push(String(req.args.length + 1), req.file, ...req.args, String(env.length), ...env);
  if (fields.some((f) => f.includes('\0'))) throw internal(`cannot run ${req.file}: an argument holds a NUL byte`);
  const body = Buffer.from(`${fields.join('\0')}\0`);
  const head = Buffer.alloc(4);
  head.writeUInt32BE(body.length);
  return Buffer.concat([head, body]);
}

/** Parses one reply line; undefined for one that is not a reply. */
export function parseReply(line: string): { seq: number; reply: Reply } | undefined {
  const m = /^(\d+) (line|exit|error)(?: (.*))?$/s.exec(line);
  if (!m) return undefined;
  const seq = Number(m[1]);
  const rest = m[3] ?? '';
  if (m[2] === 'line') return { seq, reply: { kind: 'line', text: rest } };
  if (m[2] === 'exit') return { seq, reply: { kind: 'exit', code: Number(rest) } };
  const [errno = 'EIO', step = 'exec'] = rest.split(' ');
  return { seq, reply: { kind: 'error', errno, step } };
}

/**
 * Starts monitor processes through `tscr-relay spawner`: one small static
 * process, started once, that forks and execs on request. Node's `spawn`
 * forks the calling process — the daemon, ~100 MB whose page tables the
 * kernel copies (2.5–4.5 ms here, more under load and with 50 at once) —
 * and waits for the exec; a fork of the relay costs a fraction of a
 * millisecond, and the daemon only writes a request and reads a line.
 * The relay keeps what the monitor relies on: its own session, stdin from
 * /dev/null, stdout/stderr appended to the log, the sync pipe on fd 3, the
 * given environment and working directory, and chdir/open/exec failures as
 * errno names (`ENOENT` becomes NotFound, as from `spawn`).
 */
export class RelaySpawner {
  private proc: ChildProcess | undefined;
  /** Settles true once the relay said `0 ready`; false when it cannot serve (an older relay without the mode). */
  private ready: Promise<boolean> | undefined;
  private readonly pending = new Map<number, (r: Reply) => void>();
  private seq = 0;
  /** Set when the relay could not start its spawner: every later start goes elsewhere. */
  private unusable = false;
  /** Starts under way (they keep the process alive). */
  private active = 0;
  /** The relay's fd of its sealed copy of `sealedSource` ("0 sealed FD"), while that relay runs. */
  private sealedFd: number | undefined;
  /** `sealedSource` as it was when the relay copied it: a copy of a binary replaced since is not used. */
  private sealedStat: Stats | undefined;

  /**
   * @param relayPath the `tscr-relay` binary.
   * @param sealedSource a binary (the OCI runtime) the relay keeps a sealed
   *   in-memory copy of, handed out by {@link sealedPath}.
   */
  constructor(
    private readonly relayPath: string,
    private readonly sealedSource?: string,
  ) {}

  /**
   * Where the relay's sealed copy of `file` can be run: `/proc/<relay>/fd/<fd>`,
   * a memfd that cannot be written, resized or resealed. runc 1.1 copies its
   * own ~9 MB binary into such a memfd in every `runc init` (its guard against
   * a container overwriting the host's runc, CVE-2019-5736) unless it already
   * runs from one with exactly these seals, so started from this path it
   * skips the copy and keeps the guard. Undefined (run `file` itself) when
   * `file` is not the binary the relay copied, the relay made no copy (an
   * older relay, no memfd), the relay cannot serve, or `file` changed on disk
   * since the copy. The path is good while the relay runs: a start hands it to
   * conmon, which runs it within milliseconds.
   */
  async sealedPath(file: string): Promise<string | undefined> {
    if (this.unusable || file !== this.sealedSource) return undefined;
    this.hold(+1); // the relay's answer keeps this process alive, as a start's does
    try {
      if (!(await this.start())) return undefined;
    } finally {
      this.hold(-1);
    }
    const pid = this.proc?.pid;
    if (pid === undefined || this.sealedFd === undefined || !sameFile(this.sealedStat, statOrUndefined(file)))
      return undefined;
    return `/proc/${pid}/fd/${this.sealedFd}`;
  }

  /**
   * Starts the process of `req` and resolves with its first fd-3 line or its
   * exit; undefined when the relay cannot serve (the caller then spawns itself).
   * @throws a TscrError from the errno when the process cannot be started.
   */
  async spawn(req: SpawnRequest): Promise<SpawnOutcome | undefined> {
    if (this.unusable) return undefined;
    this.hold(+1);
    let reply: Reply;
    try {
      if (!(await this.start())) return undefined;
      const proc = this.proc!;
      const seq = ++this.seq;
      reply = await new Promise<Reply>((resolve) => {
        this.pending.set(seq, resolve);
        proc.stdin!.write(encodeRequest(seq, req));
      });
    } finally {
      this.hold(-1);
    }
    if (reply.kind === 'line') return { kind: 'line', line: reply.text };
    if (reply.kind === 'exit') return { kind: 'exited', code: reply.code };
    const err = Object.assign(new Error(`${reply.step} failed: ${reply.errno}`), { code: reply.errno });
    throw fromSystemError(err, `cannot run ${req.file}`);
  }

  /** Ends the relay (pending starts fail; the processes it started live on). */
  close(): void {
    this.proc?.stdin?.end();
    this.proc = undefined;
    this.ready = undefined;
  }

  /** While starts are under way the relay keeps this process alive; idle, it does not. */
  private hold(delta: number): void {
    this.active += delta;
    const proc = this.proc;
    const out = proc?.stdout as (NodeJS.ReadableStream & { ref?(): void; unref?(): void }) | undefined;
    if (this.active > 0) {
      proc?.ref();
      out?.ref?.();
    } else {
      proc?.unref();
      out?.unref?.();
    }
  }

  private start(): Promise<boolean> {
    if (this.ready) return this.ready;
    // Started from the event loop's thread: the relay dies with the thread that started it (PR_SET_PDEATHSIG).
    this.sealedFd = undefined;
    this.sealedStat = this.sealedSource ? statOrUndefined(this.sealedSource) : undefined;
    const env = this.sealedStat ? { ...process.env, TSCR_RELAY_SEALED: this.sealedSource } : process.env;
    const proc = spawn(this.relayPath, ['spawner'], { stdio: ['pipe', 'pipe', 'inherit'], env });
    this.proc = proc;
    let buffered = '';
    let settle: (ok: boolean) => void = () => undefined;
    const ready = new Promise<boolean>((resolve) => {
      settle = resolve;
    });
    this.ready = ready;
    proc.stdout!.setEncoding('utf8');
    proc.stdout!.on('data', (chunk: string) => {
      buffered += chunk;
      for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        if (line === '0 ready') {
          settle(true);
          continue;
        }
        const sealed = /^0 sealed (\d+)$/.exec(line);
        if (sealed && proc.pid !== undefined && canRun(`/proc/${proc.pid}/fd/${sealed[1]}`)) {
          this.sealedFd = Number(sealed[1]);
          continue;
        }
        const parsed = parseReply(line);
        const resolve = parsed && this.pending.get(parsed.seq);
        if (!parsed || !resolve) continue;
        this.pending.delete(parsed.seq);
        resolve(parsed.reply);
      }
    });
    const lost = () => {
      settle(false);
      if (this.proc === proc) {
        this.proc = undefined;
        this.ready = undefined;
        this.sealedFd = undefined;
      }
      for (const [, resolve] of this.pending) resolve({ kind: 'error', errno: 'EPIPE', step: 'relay' });
      this.pending.clear();
    };
    proc.once('error', lost);
    proc.once('exit', lost);
    proc.stdin!.on('error', () => undefined); // a relay that ended: `lost` answers
    (proc.stdin as unknown as { unref?(): void }).unref?.();
    this.hold(0);
    void ready.then((ok) => {
      if (!ok) this.unusable = true; // missing or too old: no second try
    });
    return ready;
  }
}

function statOrUndefined(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}

/** The same file, unchanged: device, inode, size, modification and change times. */
function sameFile(a: Stats | undefined, b: Stats | undefined): boolean {
  return (
    !!a &&
    !!b &&
    a.dev === b.dev &&
    a.ino === b.ino &&
    a.size === b.size &&
    a.mtimeMs === b.mtimeMs &&
    a.ctimeMs === b.ctimeMs
  );
}

function canRun(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
