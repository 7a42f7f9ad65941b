// One run of the API path as an embedding app does it: create, attach (drained in the background), start, wait,
// the attach's end, remove — through a warm gRPC container client. Shared by bench/api-latency.mjs,
// bench/run-path-timeline.mjs and bench/runc-phases.mjs.

/**
 * Runs `true` in a new container of `image` (no network) and removes it. `mark(step, id)` is called right after
 * each step: `created`, `attached` (the attach call made), `started`, `waited`, `drained` (the attach ended), `removed`.
 * With `{ attach: false }` there is no attach (a detached start, as `docker run -d`): `attached` and `drained` are
 * then marked right after `created` and `waited`.
 * @returns the container's ID.
 */
export async function runOnce(containers, image, mark = () => undefined, { attach = true } = {}) {
  const { id } = await containers.create({ config: { image, cmd: ['true'] }, hostConfig: { networkMode: 'none' } });
  mark('created', id);
  const drained = attach
    ? (async () => {
        for await (const _ of containers.attach(id, { stdout: true, stderr: true })) void _;
      })()
    : Promise.resolve();
  mark('attached', id);
  await containers.start(id);
  mark('started', id);
  await containers.wait(id);
  mark('waited', id);
  await drained;
  mark('drained', id);
  await containers.remove(id);
  mark('removed', id);
  return id;
}
