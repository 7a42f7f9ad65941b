import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir, readFile, rm, stat } from 'node:fs/promises';
import { constants } from 'node:os';
import { isAbsolute, join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { type ExitStatus, failedPrecondition, fromSystemError, invalidArgument } from '@tscr/api';
import type { ExecSession, ExecSpec, OutputChunk, TaskIO, TerminalSize } from '../types.js';
import { OutputChannel, pumpInput } from './attach-channel.js';
import { checkExecutable, resolveInRoot } from './lookpath.js';
import { consoleRelayArgs, writeResize } from './console-relay.js';
import { processEnv } from './spec.js';
import { resolveUser } from './user.js';

/** Every capability up to CAP_CHECKPOINT_RESTORE (Linux 5.9), for `exec --privileged`. */
// biome-ignore format: a table
const ALL_CAPABILITIES = [
  'CHOWN', 'DAC_OVERRIDE', 'DAC_READ_SEARCH', 'FOWNER', 'FSETID', 'KILL', 'SETGID', 'SETUID', 'SETPCAP',
  'LINUX_IMMUTABLE', 'NET_BIND_SERVICE', 'NET_BROADCAST', 'NET_ADMIN', 'NET_RAW', 'IPC_LOCK', 'IPC_OWNER',
  'SYS_MODULE', 'SYS_RAWIO', 'SYS_CHROOT', 'SYS_PTRACE', 'SYS_PACCT', 'SYS_ADMIN', 'SYS_BOOT', 'SYS_NICE',
  'SYS_RESOURCE', 'SYS_TIME', 'SYS_TTY_CONFIG', 'MKNOD', 'LEASE', 'AUDIT_WRITE', 'AUDIT_CONTROL', 'SETFCAP',
  'MAC_OVERRIDE', 'MAC_ADMIN', 'SYSLOG', 'WAKE_ALARM', 'BLOCK_SUSPEND', 'AUDIT_READ', 'PERFMON', 'BPF',
  'CHECKPOINT_RESTORE',
].map((c) => `CAP_${c}`);

const EXEC_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;
const PID_POLL_MS = 5;

/** Where and in what an exec runs. */
export interface ExecTarget {
  taskId: string;
  /** The task's bundle (its config.json gives the default env and cwd). */
  bundle: string;
  /** The task's init PID: `/proc/<pid>/root` is the container's view for the pre-flight checks. */
  initPid: number;
  /** The OCI runtime binary and its global arguments (`--root …`). */
  runtimeBinary: string;
  runtimeArgs: string[];
  /** A fresh directory for this session's files (pid file, console socket). */
  execDir: string;
  /** The console relay binary (needed for `terminal`). */
  relayPath: () => Promise<string>;
}

/** A live exec as the task runtime keeps it. */
export interface LiveExec extends ExecSession {
  resize(size: TerminalSize): Promise<void>;
}

/** The checks and argv of `runc exec` for `spec`. */
async function execArgs(t: ExecTarget, spec: ExecSpec, pidFile: string): Promise<string[]> {
  if (!EXEC_ID.test(spec.id ?? '')) throw invalidArgument(`invalid exec id ${JSON.stringify(spec.id)}`);
  if (!spec.args?.length || !spec.args[0]) throw invalidArgument('exec: no command to run');
  const view = `/proc/${t.initPid}/root`;
  const config = JSON.parse(await readFile(join(t.bundle, 'config.json'), 'utf8')) as {
    process: { env: string[]; cwd: string };
  };
  const args = ['exec', '--pid-file', pidFile];
  let env = [...config.process.env, ...(spec.env ?? [])];
  if (spec.user) {
    const user = await resolveUser(view, spec.user);
    args.push('--user', `${user.uid}:${user.gid}`);
    for (const g of user.additionalGids ?? []) args.push('--additional-gids', String(g));
    if (!(spec.env ?? []).some((e) => e.startsWith('HOME='))) {
      env = processEnv(
        env.filter((e) => !e.startsWith('HOME=')),
        user.home,
      );
      args.push('--env', `HOME=${user.home}`);
    }
  }
  const cwd = spec.cwd || config.process.cwd || '/';
  if (spec.cwd) {
    if (!isAbsolute(spec.cwd)) throw invalidArgument(`exec: working directory must be absolute: ${spec.cwd}`);
    const host = await resolveInRoot(view, spec.cwd);
    const st = host ? await stat(host).catch(() => undefined) : undefined;
    if (!st?.isDirectory()) {
      throw invalidArgument(`exec: working directory ${spec.cwd} does not exist in the container`, {
        details: { reason: 'WorkdirNotFound', cwd: spec.cwd },
      });
    }
    args.push('--cwd', spec.cwd);
  }
  await checkExecutable(view, spec.args[0], env, cwd, []);
  for (const e of spec.env ?? []) args.push('--env', e);
  if (spec.privileged) for (const c of ALL_CAPABILITIES) args.push('--cap', c);
  return args;
}

/** Reads the pid file runc writes once the process runs; 0 if the runtime exits first. */
async function readExecPid(pidFile: string, child: ChildProcess): Promise<number> {
  for (;;) {
    const text = await readFile(pidFile, 'utf8').catch(() => '');
    const n = Number(text.trim());
    if (text && Number.isInteger(n) && n > 0) return n;
    if (child.exitCode !== null || child.signalCode !== null) return 0;
    await new Promise((r) => setTimeout(r, PID_POLL_MS));
  }
}

/** Copies a readable into the channel, tagging it; resolves at its end. */
async function drain(readable: Readable, stream: OutputChunk['stream'], ch: OutputChannel): Promise<void> {
  try {
    // Once the reader has gone, the rest is read and dropped: the process runs on to its exit.
    for await (const data of readable) await ch.push({ stream, data: data as Buffer });
  } catch {
    /* the pipe broke: the process is gone */
  }
}

/** Writes with backpressure: waits for 'drain' when the pipe is full. */
function writeTo(w: Writable, chunk: Uint8Array): Promise<void> {
  return new Promise((resolve, reject) => {
    if (w.destroyed || w.writableEnded) return reject(new Error('stdin closed'));
    if (w.write(chunk)) return resolve();
    const done = (err?: unknown) => {
      w.off('drain', done);
      w.off('close', done);
      if (err) reject(err);
      else resolve();
    };
    w.once('drain', done);
    w.once('close', done);
  });
}

/**
 * Starts `runc exec` for `spec` as a child of this process, its stdio on
 * pipes (with `terminal`: through the console relay, which receives the
 * pty from runc and copies it to its own stdio). The runtime's exit code is
 * the process's (128+n when killed by signal n).
 * @throws see {@link TaskRuntime.exec}.
 */
export async function startExec(t: ExecTarget, spec: ExecSpec, io: TaskIO, signal?: AbortSignal): Promise<LiveExec> {
  const pidFile = join(t.execDir, 'pid');
  const runcArgs = [...t.runtimeArgs, ...(await execArgs(t, spec, pidFile))];
  const wantOutput = io.output !== false;
  await mkdir(t.execDir, { recursive: true, mode: 0o700 });
  let file = t.runtimeBinary;
  let argv = [...runcArgs, t.taskId, ...spec.args];
  let resizePipe = false;
  if (spec.terminal) {
    const consoleSocket = join(t.execDir, 'console.sock');
    file = await t.relayPath();
    argv = consoleRelayArgs(consoleSocket, t.runtimeBinary, [
      ...runcArgs,
      '--detach',
      '--tty',
      '--console-socket',
      consoleSocket,
      t.taskId,
      ...spec.args,
    ]);
    resizePipe = true;
  }
  let child: ChildProcess;
  try {
    child = spawn(file, argv, {
      stdio: [
        io.stdin ? 'pipe' : 'ignore',
        wantOutput ? 'pipe' : 'ignore',
        wantOutput ? 'pipe' : 'ignore',
        resizePipe ? 'pipe' : 'ignore',
      ],
    });
  } catch (err) {
    await rm(t.execDir, { recursive: true, force: true });
    throw fromSystemError(err, `cannot run ${file}`);
  }
  // Readers go on at once: Node discards the unread output of a child that has exited.
  const ch = new OutputChannel(16);
  if (wantOutput) {
    void Promise.all([
      drain(child.stdout as Readable, 'stdout', ch),
      drain(child.stderr as Readable, 'stderr', ch),
    ]).then(() => ch.close());
  } else ch.close();
  const spawned = new Promise<void>((resolve, reject) => {
    child.once('spawn', () => resolve());
    child.once('error', (err) => reject(fromSystemError(err, `cannot run ${file}`)));
  });
  const exited = new Promise<ExitStatus>((resolve) => {
    child.once('close', (code, sig) => {
      const signo = sig ? ((constants.signals as Record<string, number>)[sig] ?? 9) : 0;
      resolve({ exitCode: code ?? 128 + signo, exitedAt: new Date().toISOString() });
    });
  });
  try {
    await spawned;
  } catch (err) {
    await rm(t.execDir, { recursive: true, force: true });
    throw err;
  }
  const pid = await readExecPid(pidFile, child);
  void exited.then(() => rm(t.execDir, { recursive: true, force: true }));
  const kill = () => {
    if (pid > 0) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    child.kill('SIGKILL');
  };
  signal?.addEventListener('abort', kill, { once: true });
  void exited.then(() => signal?.removeEventListener('abort', kill));

  if (io.stdin && child.stdin) {
    const stdin = child.stdin;
    stdin.on('error', () => undefined);
    void pumpInput(
      io.stdin,
      (chunk) => writeTo(stdin, chunk),
      () => stdin.end(),
    );
  }
  const control = child.stdio[3] as Writable | null;
  control?.on('error', () => undefined);
  const session: LiveExec = {
    pid,
    output: ch,
    exit: exited,
    resize: async (size) => {
      if (!control) throw failedPrecondition(`exec ${spec.id} has no terminal`, { details: { reason: 'NoTerminal' } });
      await writeResize(control, size);
    },
  };
  if (spec.terminal && spec.size) await session.resize(spec.size).catch(() => undefined);
  return session;
}
