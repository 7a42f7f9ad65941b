import { invalidArgument } from '@tscr/api';
import { type containersV1, unaryHandler } from '@tscr/api/grpc';
import { bidiHandler, stdinOf } from '@tscr/runtime/grpc';
import type { ContainerService, ExecConfig, ExecInfo, OutputChunk, TerminalSize } from '../types.js';

/** Domain OutputChunk → wire. */
function chunkToProto(c: OutputChunk): containersV1.OutputChunk {
  return { stream: c.stream, data: Buffer.from(c.data.buffer, c.data.byteOffset, c.data.byteLength) };
}

/** Wire TerminalSize → domain (missing: 0×0, which is rejected). */
export function sizeFromProto(s: containersV1.TerminalSize | undefined): TerminalSize {
  return { width: s?.width ?? 0, height: s?.height ?? 0 };
}

/** Wire ExecConfig → domain. */
export function execConfigFromProto(c: containersV1.ExecConfig | undefined): ExecConfig {
  return {
    cmd: c?.cmd ?? [],
    ...(c?.env.length ? { env: c.env } : {}),
    ...(c?.workingDir ? { workingDir: c.workingDir } : {}),
    ...(c?.user ? { user: c.user } : {}),
    tty: Boolean(c?.tty),
    privileged: Boolean(c?.privileged),
    attachStdin: Boolean(c?.attachStdin),
    attachStdout: Boolean(c?.attachStdout),
    attachStderr: Boolean(c?.attachStderr),
  };
}

/** Domain ExecConfig → wire. */
export function execConfigToProto(c: ExecConfig): containersV1.ExecConfig {
  return {
    cmd: c.cmd,
    env: c.env ?? [],
    workingDir: c.workingDir ?? '',
    user: c.user ?? '',
    tty: Boolean(c.tty),
    privileged: Boolean(c.privileged),
    attachStdin: Boolean(c.attachStdin),
    attachStdout: c.attachStdout !== false,
    attachStderr: c.attachStderr !== false,
  };
}

function execInfoToProto(e: ExecInfo): containersV1.ExecInfo {
  return {
    id: e.id,
    containerId: e.containerId,
    config: execConfigToProto(e.config),
    running: e.running,
    exitCode: e.exitCode ?? 0,
    hasExitCode: e.exitCode !== null,
    pid: e.pid,
  };
}

/** Wire ExecInfo → domain. */
export function execInfoFromProto(e: containersV1.ExecInfo | undefined): ExecInfo {
  return {
    id: e?.id ?? '',
    containerId: e?.containerId ?? '',
    config: execConfigFromProto(e?.config),
    running: Boolean(e?.running),
    exitCode: e?.hasExitCode ? e.exitCode : null,
    pid: e?.pid ?? 0,
  };
}

/**
 * `attachStdio` over the wire: `attached` goes out as soon as the
 * attachment is in place (possibly before any output), so the client can start the container.
 */
async function* attachStdioStream(
  impl: ContainerService,
  requests: AsyncIterable<containersV1.AttachStdioRequest>,
  signal: AbortSignal,
): AsyncGenerator<containersV1.AttachStdioResponse> {
  const reqs = requests[Symbol.asyncIterator]();
  const first = await reqs.next();
  const start = first.done ? undefined : first.value.start;
  if (!start) throw invalidArgument('AttachStdio: the first message must be start');
  let onAttached!: () => void;
  const attached = new Promise<'attached'>((resolve) => (onAttached = () => resolve('attached')));
  const it = impl
    .attachStdio(start.id, {
      signal,
      stdout: start.stdout,
      stderr: start.stderr,
      tty: start.tty,
      onAttached,
      ...(start.stdin ? { stdin: stdinOf(reqs) } : {}),
    })
    [Symbol.asyncIterator]();
  try {
    let next = it.next();
    const head = await Promise.race([attached, next]);
    yield { attached: true };
    if (head !== 'attached') {
      if (head.done) return;
      yield { output: chunkToProto(head.value) };
      next = it.next();
    }
    for (;;) {
      const r = await next;
      if (r.done) return;
      yield { output: chunkToProto(r.value) };
      next = it.next();
    }
  } finally {
    void it.return?.(undefined).catch(() => undefined);
  }
}

/** The stdio handlers of the Containers service (attach, exec, resize). */
export function stdioHandlers(
  impl: ContainerService,
): Pick<
  containersV1.ContainersServer,
  'attachStdio' | 'resizeContainer' | 'createExec' | 'startExec' | 'inspectExec' | 'resizeExec'
> {
  return {
    attachStdio: bidiHandler((requests: AsyncIterable<containersV1.AttachStdioRequest>, { signal }) =>
      attachStdioStream(impl, requests, signal),
    ),
    resizeContainer: unaryHandler(async (req: containersV1.ResizeContainerRequest, { signal }) => {
      await impl.resize(req.id, sizeFromProto(req.size), { signal });
      return {};
    }),
    createExec: unaryHandler(async (req: containersV1.CreateExecRequest, { signal }) =>
      impl.createExec(req.id, execConfigFromProto(req.config), { signal }),
    ),
    startExec: bidiHandler(async function* (requests: AsyncIterable<containersV1.StartExecRequest>, { signal }) {
      const reqs = requests[Symbol.asyncIterator]();
      const first = await reqs.next();
      const start = first.done ? undefined : first.value.start;
      if (!start) throw invalidArgument('StartExec: the first message must be start');
      const output = impl.startExec(start.execId, {
        // A detached exec outlives this call.
        ...(start.detach ? {} : { signal }),
        detach: start.detach,
        ...(start.size ? { size: sizeFromProto(start.size) } : {}),
        ...(start.stdin ? { stdin: stdinOf(reqs) } : {}),
      });
      for await (const chunk of output) yield { output: chunkToProto(chunk) };
    }),
    inspectExec: unaryHandler(async (req: containersV1.InspectExecRequest, { signal }) => ({
      exec: execInfoToProto(await impl.inspectExec(req.id, { signal })),
    })),
    resizeExec: unaryHandler(async (req: containersV1.ResizeExecRequest, { signal }) => {
      await impl.resizeExec(req.id, sizeFromProto(req.size), { signal });
      return {};
    }),
  };
}
