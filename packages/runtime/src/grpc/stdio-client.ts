import type { ExitStatus } from '@tscr/api';
import { internal } from '@tscr/api';
import type { runtimeV1 } from '@tscr/api/grpc';
import { OutputChannel } from '../local/attach-channel.js';
import type { AttachSession, ExecSession, ExecSpec, TaskIO } from '../types.js';
import { exitStatusFromProto } from './convert.js';
import { callBidi } from './bidi.js';
import { execSpecToProto, outputChunkFromProto } from './stdio-convert.js';

/** The request stream of an exec or attach: `start`, then stdin chunks and its end. */
async function* requestsOf<Req>(
  start: Req,
  stdin: AsyncIterable<Uint8Array> | undefined,
  wrap: (chunk: Buffer) => Req,
  close: Req,
): AsyncGenerator<Req> {
  yield start;
  if (!stdin) return;
  for await (const chunk of stdin) yield wrap(Buffer.from(chunk));
  yield close;
}

/**
 * Runs an exec over the Runtime service's ExecTask bidi stream. Output is
 * pulled into a small bounded queue, so a consumer that stops reading stops
 * the stream (HTTP/2 flow control) and, on the server, the process.
 */
export async function grpcExec(
  client: runtimeV1.RuntimeClient,
  target: string,
  id: string,
  spec: ExecSpec,
  io: TaskIO,
  signal: AbortSignal | undefined,
): Promise<ExecSession> {
  const start: runtimeV1.ExecTaskRequest = {
    start: {
      taskId: id,
      spec: execSpecToProto(spec),
      stdin: io.stdin !== undefined,
      discardOutput: io.output === false,
    },
  };
  const responses = callBidi(
    () => client.execTask(),
    requestsOf(start, io.stdin, (stdin) => ({ stdin }), { closeStdin: true }),
    signal,
    target,
  );
  const first = await responses.next();
  if (first.done || !first.value.started) {
    await responses.return();
    throw internal('the runtime service answered an exec without starting it');
  }
  let settle!: (e: ExitStatus | Error) => void;
  const exit = new Promise<ExitStatus>((resolve, reject) => {
    settle = (e) => (e instanceof Error ? reject(e) : resolve(e));
  });
  exit.catch(() => undefined);
  // A reader that leaves early makes the rest be dropped, not the call cancelled: the exit still arrives.
  const ch = new OutputChannel(16);
  void (async () => {
    let status: ExitStatus | undefined;
    try {
      for await (const msg of responses) {
        if (msg.output) await ch.push(outputChunkFromProto(msg.output));
        else if (msg.exit) status = exitStatusFromProto(msg.exit);
      }
      ch.close();
      settle(status ?? internal('the exec stream ended without an exit status'));
    } catch (err) {
      ch.close(err);
      settle(err as Error);
    }
  })();
  return { pid: first.value.started.pid, output: ch, exit };
}

/** Attaches over the Runtime service's AttachTask bidi stream. */
export async function grpcAttach(
  client: runtimeV1.RuntimeClient,
  target: string,
  id: string,
  io: TaskIO,
  signal: AbortSignal | undefined,
): Promise<AttachSession> {
  const start: runtimeV1.AttachTaskRequest = { start: { taskId: id, stdin: io.stdin !== undefined } };
  const responses = callBidi(
    () => client.attachTask(),
    requestsOf(start, io.stdin, (stdin) => ({ stdin }), { closeStdin: true }),
    signal,
    target,
  );
  const first = await responses.next();
  if (first.done || !first.value.attached) {
    await responses.return();
    throw internal('the runtime service answered an attach without attaching');
  }
  const ch = new OutputChannel(16, () => void responses.return());
  void (async () => {
    try {
      for await (const msg of responses) {
        if (msg.output && !(await ch.push(outputChunkFromProto(msg.output)))) break;
      }
      ch.close();
    } catch (err) {
      // A detach (abort) ends the output quietly; anything else reaches the reader.
      ch.close(signal?.aborted ? undefined : err);
    }
  })();
  return { output: ch };
}
