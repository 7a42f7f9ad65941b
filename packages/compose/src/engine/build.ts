/** `build:` of a service through the builder layer: the context sent as a tar stream, the result tagged. */
import { stat } from 'node:fs/promises';
import { failedPrecondition, fromSystemError, invalidArgument } from '@tscr/api';
import type { BuildOptions } from '@tscr/builder';
import type { ComposeModel, ServiceConfig } from '../model.js';
import { serviceError } from './errors.js';
import type { Progress } from './progress.js';
import type { CallOptions, ComposeClients } from './types.js';

/** The context directory as a tar stream (the builder applies `.dockerignore`). */
export async function contextTar(dir: string): Promise<AsyncIterable<Uint8Array>> {
  const st = await stat(dir).catch((err: unknown) => {
    throw fromSystemError(err, `unable to prepare context: path ${JSON.stringify(dir)} not found`);
  });
  if (!st.isDirectory()) throw invalidArgument(`unable to prepare context: ${dir} is not a directory`);
  const { create } = await import('tar');
  return create({ cwd: dir, portable: true }, ['.']) as unknown as AsyncIterable<Uint8Array>;
}

/** Builds `s` and tags it `ref`; returns the image ID. @throws as the builder, with the service named. */
export async function buildService(
  m: ComposeModel,
  s: ServiceConfig,
  ref: string,
  c: ComposeClients,
  p: Progress,
  o: CallOptions & { onOutput?: (service: string, data: Uint8Array) => void } = {},
): Promise<string> {
  const b = s.build!;
  if (!c.builder) throw failedPrecondition(`service "${s.name}" needs a build, and there is no builder client`);
  const builder = await c.builder();
  const args: Record<string, string> = {};
  for (const [k, v] of Object.entries(b.args ?? {})) {
    const value = v ?? m.env[k];
    if (value !== undefined) args[k] = value;
  }
  const opts: BuildOptions = {
    ...(o.signal && { signal: o.signal }),
    tags: [ref],
    buildArgs: args,
    ...(b.labels && { labels: b.labels }),
    ...(b.no_cache && { noCache: true }),
    ...(b.target && { target: b.target }),
    ...(b.dockerfile && { dockerfile: b.dockerfile }),
    ...(b.dockerfile_inline && { dockerfileContent: b.dockerfile_inline }),
  };
  return p.step('Service', s.name, 'Building', 'Built', async () => {
    let id: string | undefined;
    try {
      for await (const e of builder.build(await contextTar(b.context), opts)) {
        if (e.type === 'output') o.onOutput?.(s.name, e.data);
        if (e.type === 'result') id = e.imageId;
      }
    } catch (err) {
      throw serviceError(s.name, 'building', err);
    }
    if (!id) throw failedPrecondition(`service "${s.name}": the build ended without an image`);
    return id;
  });
}
