/**
 * Kubernetes' remote command protocol over SPDY or a WebSocket (exec and attach): the
 * client opens an `error` stream and, as asked, `stdin`, `stdout`,
 * `stderr` and (with a TTY) `resize` streams; the server runs the command,
 * copies the streams, and reports the outcome on `error` (v4: a JSON
 * metav1.Status; earlier versions: a plain message, empty on success).
 */
import { errorCode } from '@tscr/api';
import type { CriBackends } from '../types.js';
import type { StreamRequest } from './server.js';
import type { ChannelConnection, ChannelStream } from './channels.js';

/** How long the client may take to open the streams it announced. */
const STREAMS_TIMEOUT_MS = 10_000;

type Command = Extract<StreamRequest, { kind: 'exec' | 'attach' }>;

/** Collects the client's streams by type until the expected ones are there (or the time is up). */
function collectStreams(conn: ChannelConnection, expected: string[]): Promise<Map<string, ChannelStream>> {
  return new Promise((resolve) => {
    const got = new Map<string, ChannelStream>();
    const finish = () => {
      clearTimeout(timer);
      conn.off('stream', onStream);
      conn.off('close', finish);
      resolve(got);
    };
    const onStream = (s: ChannelStream) => {
      got.set(s.headers.streamtype ?? '', s);
      if (expected.every((t) => got.has(t))) finish();
    };
    const timer = setTimeout(finish, STREAMS_TIMEOUT_MS);
    conn.on('stream', onStream);
    conn.on('close', finish);
  });
}

/** Terminal sizes the client sends on the `resize` stream (JSON objects, one after another). */
async function* terminalSizes(stream: ChannelStream | undefined): AsyncGenerator<{ width: number; height: number }> {
  if (!stream) return;
  let pending = '';
  for await (const chunk of stream.input as AsyncIterable<Buffer>) {
    pending += chunk.toString('utf8');
    for (;;) {
      const end = pending.indexOf('}');
      if (end < 0) break;
      const text = pending.slice(0, end + 1);
      pending = pending.slice(end + 1);
      try {
        const size = JSON.parse(text.slice(text.indexOf('{'))) as { Width?: number; Height?: number };
        if (size.Width && size.Height) yield { width: size.Width, height: size.Height };
      } catch {
        // not a size: skip it
      }
    }
  }
}

/** The outcome as the client's protocol version wants it on the error stream. */
function statusMessage(protocol: string, exitCode: number, error?: unknown): string {
  const v4 = protocol === 'v4.channel.k8s.io' || protocol === 'v5.channel.k8s.io';
  if (error !== undefined) {
    const message = error instanceof Error ? error.message : String(error);
    if (!v4) return message;
    return JSON.stringify({
      metadata: {},
      status: 'Failure',
      message,
      reason: errorCode(error) === 'NotFound' ? 'NotFound' : 'InternalError',
      code: 500,
    });
  }
  if (exitCode === 0) return v4 ? JSON.stringify({ metadata: {}, status: 'Success' }) : '';
  const message = `command terminated with non-zero exit code: exit status ${exitCode}`;
  if (!v4) return message;
  return JSON.stringify({
    metadata: {},
    status: 'Failure',
    message,
    reason: 'NonZeroExitCode',
    details: { causes: [{ reason: 'ExitCode', message: String(exitCode) }] },
  });
}

/** Runs an exec or attach over the streams of `conn`. */
export async function runRemoteCommand(
  b: CriBackends,
  conn: ChannelConnection,
  req: Command,
  protocol: string,
): Promise<void> {
  const expected = ['error'];
  if (req.stdin) expected.push('stdin');
  if (req.stdout) expected.push('stdout');
  if (req.stderr && !req.tty) expected.push('stderr');
  if (req.tty && protocol !== 'channel.k8s.io' && protocol !== 'v2.channel.k8s.io') expected.push('resize');
  const streams = await collectStreams(conn, expected);
  const errorStream = streams.get('error');
  if (!errorStream) return;
  const ac = new AbortController();
  conn.once('close', () => ac.abort(new Error('the client went away')));
  // (Over a WebSocket every channel exists: use only those the request asked for.)
  const stdin = req.stdin ? (streams.get('stdin')?.input as AsyncIterable<Uint8Array> | undefined) : undefined;
  const out = req.stdout ? streams.get('stdout') : undefined;
  const err = req.stderr && !req.tty ? streams.get('stderr') : undefined;
  const sizes = terminalSizes(req.tty ? streams.get('resize') : undefined);
  let exitCode = 0;
  let failure: unknown;
  try {
    if (req.kind === 'exec') {
      const exec = await b.containers.createExec(req.containerId, {
        cmd: req.cmd,
        tty: req.tty,
        attachStdin: Boolean(stdin),
        attachStdout: true,
        attachStderr: true,
      });
      const first = req.tty ? await Promise.race([sizes.next(), delay(300)]) : undefined;
      const size = first && !first.done ? first.value : undefined;
      void (async () => {
        for await (const s of sizes) await b.containers.resizeExec(exec.id, s).catch(() => undefined);
      })();
      for await (const chunk of b.containers.startExec(exec.id, {
        signal: ac.signal,
        ...(stdin && { stdin }),
        ...(size && { size }),
      })) {
        await (chunk.stream === 'stderr' && err ? err : out)?.write(chunk.data);
      }
      exitCode = (await b.containers.inspectExec(exec.id)).exitCode ?? 0;
    } else {
      void (async () => {
        for await (const s of sizes) await b.containers.resize(req.containerId, s).catch(() => undefined);
      })();
      for await (const chunk of b.containers.attachStdio(req.containerId, {
        signal: ac.signal,
        stdout: Boolean(out),
        stderr: Boolean(err),
        tty: req.tty,
        ...(stdin && { stdin }),
      })) {
        await (chunk.stream === 'stderr' && err ? err : out)?.write(chunk.data);
      }
    }
  } catch (e) {
    if (!ac.signal.aborted) failure = e;
  }
  if (ac.signal.aborted) return;
  await Promise.all([out?.end(), err?.end()]);
  const message = statusMessage(protocol, exitCode, failure);
  if (message) await errorStream.write(Buffer.from(message));
  await errorStream.end();
}

function delay(ms: number): Promise<undefined> {
  return new Promise((resolve) => setTimeout(() => resolve(undefined), ms));
}
