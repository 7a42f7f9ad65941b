/**
 * The early release of a container's process (the runtime's `startEarly`,
 * asked for by `start` when no interactive attach waits for it) over the
 * real layers: which starts take it, and that no output is lost on either
 * path — through the log, the log-following attach and the interactive one,
 * with and without a TTY, and across restarts. Needs root.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ContainerService, OutputChunk } from '@tscr/container';
import type { CreateOptions, TaskRuntime, TaskSpec } from '@tscr/runtime';
import { skipUnlessRoot, uniqueName } from '@tscr/testkit';
import { collect } from '../conformance/container-service.js';
import { realStack } from '../fixtures/real-stack.js';

/** `seq 1 2000`: ~8.9 KB, more than one read of the monitor. */
const SEQ = Array.from({ length: 2000 }, (_, i) => `${i + 1}\n`).join('');

async function collectStdio(stream: AsyncIterable<OutputChunk>): Promise<string> {
  let out = '';
  for await (const c of stream) out += Buffer.from(c.data).toString();
  return out;
}

describe.skipIf(skipUnlessRoot('runc', 'conmon'))('real layers: early release of the process', () => {
  /** Each task create's `startEarly`, by task ID, in order. */
  const early = new Map<string, boolean[]>();
  let h: Awaited<ReturnType<typeof realStack>>;
  let svc: ContainerService;

  beforeAll(async () => {
    h = await realStack(
      (runtime) =>
        new Proxy(runtime, {
          get(target, key, receiver) {
            if (key !== 'create') return Reflect.get(target, key, receiver);
            return (spec: TaskSpec, opts?: CreateOptions) => {
              early.set(spec.id, [...(early.get(spec.id) ?? []), opts?.startEarly === true]);
              return target.create(spec, opts);
            };
          },
        }) as TaskRuntime,
    );
    svc = h.service;
  });

  afterAll(async () => {
    await h?.cleanup();
  });

  const create = async (cmd: string[], extra: { tty?: boolean } = {}) =>
    (
      await svc.create({
        name: uniqueName('ctr'),
        hostConfig: { networkMode: 'none' },
        config: { image: h.image, cmd, ...extra },
      })
    ).id;

  it('a detached start takes the early path; the log holds all the output of a short command', async () => {
    const id = await create(['seq', '1', '2000']);
    await svc.start(id);
    expect((await svc.wait(id)).exitCode).toBe(0);
    expect(early.get(id)).toEqual([true]);
    expect(await collect(svc.logs(id))).toBe(SEQ);
  });

  it('with a TTY too: nothing written before the monitor read the terminal is lost', async () => {
    const id = await create(['seq', '1', '2000'], { tty: true });
    await svc.start(id);
    expect((await svc.wait(id)).exitCode).toBe(0);
    expect(early.get(id)).toEqual([true]);
    expect((await collect(svc.logs(id))).replaceAll('\r\n', '\n')).toBe(SEQ);
  });

  it('an attach (log-following) made before the start gets the whole run, on the early path', async () => {
    const id = await create(['seq', '1', '2000']);
    let onAttached!: () => void;
    const attached = new Promise<void>((r) => (onAttached = r));
    const out = collect(svc.attach(id, { onAttached }));
    await attached;
    await svc.start(id);
    expect(await out).toBe(SEQ);
    expect(early.get(id)).toEqual([true]);
  });

  it('an interactive attach waiting for the start keeps the ordinary path, and misses nothing', async () => {
    for (const tty of [false, true]) {
      const id = await create(['seq', '1', '2000'], { tty });
      let onAttached!: () => void;
      const attached = new Promise<void>((r) => (onAttached = r));
      const out = collectStdio(svc.attachStdio(id, { onAttached, ...(tty ? { tty } : {}) }));
      await attached;
      await svc.start(id);
      expect((await out).replaceAll('\r\n', '\n')).toBe(SEQ);
      expect(early.get(id)).toEqual([false]);
    }
  });

  it('restarts of a restart policy take the early path, each run logged whole', async () => {
    const { id } = await svc.create({
      name: uniqueName('ctr'),
      hostConfig: { networkMode: 'none', restartPolicy: { name: 'on-failure', maximumRetryCount: 2 } },
      config: { image: h.image, cmd: ['sh', '-c', 'echo run; exit 3'] },
    });
    await svc.start(id);
    const until = Date.now() + 20_000;
    let info = await svc.inspect(id);
    while ((info.restartCount < 2 || info.state.running || info.state.status === 'restarting') && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 50));
      info = await svc.inspect(id);
    }
    expect(info.restartCount).toBe(2);
    expect(info.state.exitCode).toBe(3);
    expect(early.get(id)).toEqual([true, true, true]);
    expect(await collect(svc.logs(id))).toBe('run\nrun\nrun\n');
  });
});
