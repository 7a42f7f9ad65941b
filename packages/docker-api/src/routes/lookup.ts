import { about, noSuch } from '../errors.js';
import type { Ctx } from '../http.js';

/** Resolves `ctx.params.id` (ID, prefix or name) to a container's full ID. @throws 404 "No such container". */
export async function containerId(ctx: Ctx): Promise<string> {
  const id = ctx.params.id ?? '';
  if (!id) throw noSuch('container', id);
  const info = await about('container', id, () => ctx.backends.containers.inspect(id, { signal: ctx.signal }));
  return info.id;
}
