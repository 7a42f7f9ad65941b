import { type ChildProcess, spawn } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { failedPrecondition, fromSystemError } from '@tscr/api';
import type { AttachSession, OutputChunk, TaskIO } from '../types.js';
import { OutputChannel, pumpInput } from './attach-channel.js';

/** conmon's stream ids on its attach socket. */
const STREAMS: Record<number, OutputChunk['stream']> = { 2: 'stdout', 3: 'stderr' };

/**
 * Reads the relay's frames (4-byte big-endian length, then one packet of
 * conmon's: a stream-id byte and data) into `ch`, one packet at a time, so
 * a slow consumer leaves the pipe unread. Calls `onReady` at the first,
 * empty, frame.
 */
async function readFrames(out: Readable, ch: OutputChannel, onReady: () => void): Promise<void> {
  let buf: Buffer = Buffer.alloc(0);
  try {
    for await (const data of out) {
      buf = buf.length ? Buffer.concat([buf, data as Buffer]) : (data as Buffer);
      while (buf.length >= 4) {
        const len = buf.readUInt32BE(0);
        if (buf.length < 4 + len) break;
        const packet = buf.subarray(4, 4 + len);
        buf = buf.subarray(4 + len);
        if (len === 0) {
          onReady();
          continue;
        }
        const stream = STREAMS[packet[0]!];
        if (stream && len > 1 && !(await ch.push({ stream, data: Buffer.from(packet.subarray(1)) }))) return;
      }
    }
  } catch {
    /* the relay went away */
  }
}

function writeTo(w: Writable, chunk: Uint8Array): Promise<void> {
  return new Promise((resolve, reject) => {
    if (w.destroyed || w.writableEnded) return reject(new Error('stdin closed'));
    if (w.write(chunk)) return resolve();
    const done = () => {
      w.off('drain', done);
      w.off('close', done);
      resolve();
    };
    w.once('drain', done);
    w.once('close', done);
  });
}

/**
 * Joins a task's stdio through its monitor's attach socket with the relay.
 * Resolves once connected, so output produced after that is not missed.
 * @throws FailedPrecondition when the monitor does not accept (not running).
 */
export async function startAttach(
  relayPath: string,
  socketPath: string,
  taskId: string,
  io: TaskIO,
  signal?: AbortSignal,
): Promise<AttachSession> {
  let child: ChildProcess;
  try {
    child = spawn(relayPath, ['attach', ...(io.stdin ? ['--stdin'] : []), socketPath], {
      stdio: [io.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
    });
  } catch (err) {
    throw fromSystemError(err, `cannot run ${relayPath}`);
  }
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (d: string) => {
    if (stderr.length < 4096) stderr += d;
  });
  const stop = () => child.kill('SIGKILL');
  const ch = new OutputChannel(16, stop);
  const ready = new Promise<void>((resolve, reject) => {
    child.once('error', (err) => reject(fromSystemError(err, `cannot run ${relayPath}`)));
    child.once('exit', () =>
      reject(failedPrecondition(`container ${taskId} is not running`, { details: { relay: stderr.trim() } })),
    );
    void readFrames(child.stdout as Readable, ch, resolve).then(() => ch.close());
  });
  try {
    await ready;
  } catch (err) {
    stop();
    throw err;
  }
  if (signal?.aborted) stop();
  signal?.addEventListener('abort', stop, { once: true });
  child.once('exit', () => signal?.removeEventListener('abort', stop));
  if (io.stdin && child.stdin) {
    const stdin = child.stdin;
    stdin.on('error', () => undefined);
    void pumpInput(
      io.stdin,
      (chunk) => writeTo(stdin, chunk),
      () => stdin.end(),
    );
  }
  return { output: ch };
}
