import type { runtimeV1 } from '@tscr/api/grpc';
import type { ExecSpec, OutputChunk, TerminalSize } from '../types.js';

/** Domain ExecSpec → wire. */
export function execSpecToProto(s: ExecSpec): runtimeV1.ExecSpec {
  return {
    id: s.id,
    args: s.args,
    env: s.env ?? [],
    cwd: s.cwd ?? '',
    user: s.user ?? '',
    terminal: s.terminal ?? false,
    privileged: s.privileged ?? false,
    ...(s.size ? { size: s.size } : {}),
  };
}

/** Wire ExecSpec → domain. */
export function execSpecFromProto(s: runtimeV1.ExecSpec | undefined): ExecSpec {
  return {
    id: s?.id ?? '',
    args: s?.args ?? [],
    ...(s?.env.length ? { env: s.env } : {}),
    ...(s?.cwd ? { cwd: s.cwd } : {}),
    ...(s?.user ? { user: s.user } : {}),
    ...(s?.terminal ? { terminal: true } : {}),
    ...(s?.privileged ? { privileged: true } : {}),
    ...(s?.size ? { size: sizeFromProto(s.size) } : {}),
  };
}

/** Wire TerminalSize → domain (missing: 0×0, which the runtime rejects). */
export function sizeFromProto(s: runtimeV1.TerminalSize | undefined): TerminalSize {
  return { width: s?.width ?? 0, height: s?.height ?? 0 };
}

/** Domain OutputChunk → wire. */
export function outputChunkToProto(c: OutputChunk): runtimeV1.OutputChunk {
  return { stream: c.stream, data: Buffer.from(c.data.buffer, c.data.byteOffset, c.data.byteLength) };
}

/** Wire OutputChunk → domain (anything but stderr is stdout). */
export function outputChunkFromProto(c: runtimeV1.OutputChunk): OutputChunk {
  return { stream: c.stream === 'stderr' ? 'stderr' : 'stdout', data: c.data };
}
