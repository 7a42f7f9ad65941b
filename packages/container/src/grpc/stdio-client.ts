import { callUnary, type containersV1 } from '@tscr/api/grpc';
import { callBidi } from '@tscr/runtime/grpc';
import type {
  CallOptions,
  ContainerStdio,
  ExecConfig,
  ExecInfo,
  OutputChunk,
  StartExecOptions,
  StdioAttachOptions,
  TerminalSize,
} from '../types.js';
import { execConfigToProto, execInfoFromProto } from './stdio-server.js';

function chunkFromProto(c: containersV1.OutputChunk): OutputChunk {
  return { stream: c.stream === 'stderr' ? 'stderr' : 'stdout', data: c.data };
}

/** `start`, then stdin chunks and its end. */
async function* requestsOf<Req>(start: Req, stdin: AsyncIterable<Uint8Array> | undefined, close: Req) {
  yield start;
  if (!stdin) return;
  for await (const chunk of stdin) yield { stdin: Buffer.from(chunk) } as Req;
  yield close;
}

/** {@link ContainerStdio} over the Containers service's bidi streams. */
export class GrpcContainerStdio implements ContainerStdio {
  constructor(
    private readonly client: () => containersV1.ContainersClient,
    private readonly target: string,
  ) {}

  async *attachStdio(id: string, opts: StdioAttachOptions = {}): AsyncGenerator<OutputChunk> {
    const start: containersV1.AttachStdioRequest = {
      start: {
        id,
        stdin: opts.stdin !== undefined,
        stdout: opts.stdout ?? true,
        stderr: opts.stderr ?? true,
        tty: opts.tty ?? false,
      },
    };
    const responses = callBidi(
      () => this.client().attachStdio(),
      requestsOf(start, opts.stdin, { closeStdin: true }),
      opts.signal,
      this.target,
    );
    try {
      for await (const res of responses) {
        if (res.attached) opts.onAttached?.();
        else if (res.output) yield chunkFromProto(res.output);
      }
    } catch (err) {
      if (!opts.signal?.aborted) throw err; // the abort is the detach: the stream just ends
    }
  }

  async resize(id: string, size: TerminalSize, opts?: CallOptions): Promise<void> {
    const req = { id, size };
    await callUnary<containersV1.ResizeContainerResponse>(
      (cb) => this.client().resizeContainer(req, cb),
      opts,
      this.target,
    );
  }

  async createExec(id: string, config: ExecConfig, opts?: CallOptions): Promise<{ id: string }> {
    const req = { id, config: execConfigToProto(config) };
    const res = await callUnary<containersV1.CreateExecResponse>(
      (cb) => this.client().createExec(req, cb),
      opts,
      this.target,
    );
    return { id: res.id };
  }

  async *startExec(execId: string, opts: StartExecOptions = {}): AsyncGenerator<OutputChunk> {
    const start: containersV1.StartExecRequest = {
      start: {
        execId,
        detach: opts.detach ?? false,
        stdin: opts.stdin !== undefined && !opts.detach,
        ...(opts.size ? { size: opts.size } : {}),
      },
    };
    const responses = callBidi(
      () => this.client().startExec(),
      requestsOf(start, opts.detach ? undefined : opts.stdin, { closeStdin: true }),
      opts.signal,
      this.target,
    );
    for await (const res of responses) if (res.output) yield chunkFromProto(res.output);
  }

  async inspectExec(execId: string, opts?: CallOptions): Promise<ExecInfo> {
    const res = await callUnary<containersV1.InspectExecResponse>(
      (cb) => this.client().inspectExec({ id: execId }, cb),
      opts,
      this.target,
    );
    return execInfoFromProto(res.exec);
  }

  async resizeExec(execId: string, size: TerminalSize, opts?: CallOptions): Promise<void> {
    const req = { id: execId, size };
    await callUnary<containersV1.ResizeExecResponse>((cb) => this.client().resizeExec(req, cb), opts, this.target);
  }
}
