/**
 * The ContainerStdio contract (attachStdio, resize, exec), run against the
 * local service over real layers and through gRPC.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ContainerService, OutputChunk } from '@tscr/container';
import { uniqueName } from '@tscr/testkit';
import { type ContainerHarness, rejection } from './container-service.js';

/** An input stream the test writes to. */
function inputQueue() {
  const items: Uint8Array[] = [];
  let ended = false;
  let wake: (() => void) | undefined;
  return {
    iterable: {
      async *[Symbol.asyncIterator]() {
        for (;;) {
          const item = items.shift();
          if (item) {
            yield item;
            continue;
          }
          if (ended) return;
          await new Promise<void>((r) => {
            wake = r;
          });
        }
      },
    } as AsyncIterable<Uint8Array>,
    push(text: string) {
      items.push(Buffer.from(text));
      wake?.();
    },
    end() {
      ended = true;
      wake?.();
    },
  };
}

async function collect(stream: AsyncIterable<OutputChunk>): Promise<{ stdout: string; stderr: string }> {
  const out = { stdout: '', stderr: '' };
  for await (const c of stream) out[c.stream] += Buffer.from(c.data).toString();
  return out;
}

async function readUntil(it: AsyncIterator<OutputChunk>, text: string): Promise<void> {
  let seen = '';
  for (;;) {
    const r = await it.next();
    if (r.done) throw new Error(`output ended before ${text}; got ${JSON.stringify(seen)}`);
    seen += Buffer.from(r.value.data).toString();
    if (seen.includes(text)) return;
  }
}

/** Registers the ContainerStdio conformance tests. */
export function describeContainerStdio(name: string, setup: () => Promise<ContainerHarness>): void {
  describe(`ContainerStdio conformance: ${name}`, () => {
    let h: ContainerHarness;
    let svc: ContainerService;
    let running: string;

    beforeAll(async () => {
      h = await setup();
      svc = h.service;
      ({ id: running } = await svc.create({
        hostConfig: { networkMode: 'none' },
        name: uniqueName('ctr'),
        config: { image: h.image, cmd: ['sleep', '3600'] },
      }));
      await svc.start(running);
    });

    afterAll(async () => {
      await h?.cleanup();
    });

    it('exec: output apart, exit code in inspect, env/workdir/user', async () => {
      const { id } = await svc.createExec(running, {
        cmd: ['sh', '-c', 'echo $A $(pwd) $(id -u); echo e >&2; exit 7'],
        env: ['A=1'],
        workingDir: '/tmp',
        user: '1000',
        attachStdout: true,
        attachStderr: true,
      });
      expect(await svc.inspectExec(id)).toMatchObject({ running: false, exitCode: null, containerId: running });
      expect(await collect(svc.startExec(id))).toEqual({ stdout: '1 /tmp 1000\n', stderr: 'e\n' });
      expect(await svc.inspectExec(id)).toMatchObject({ running: false, exitCode: 7, pid: 0 });
      expect((await rejection(collect(svc.startExec(id)))).code).toBe('FailedPrecondition');
    });

    it('exec -i pipes stdin; -d runs in the background', async () => {
      const input = inputQueue();
      const { id } = await svc.createExec(running, { cmd: ['cat'], attachStdin: true });
      const out = collect(svc.startExec(id, { stdin: input.iterable }));
      input.push('piped\n');
      input.end();
      expect((await out).stdout).toBe('piped\n');
      const bg = await svc.createExec(running, { cmd: ['sh', '-c', 'sleep 0.3; exit 3'] });
      expect(await collect(svc.startExec(bg.id, { detach: true }))).toEqual({ stdout: '', stderr: '' });
      const during = await svc.inspectExec(bg.id);
      expect(during.running || during.exitCode === 3).toBe(true);
      for (let i = 0; i < 200 && (await svc.inspectExec(bg.id)).running; i++)
        await new Promise((r) => setTimeout(r, 50));
      expect(await svc.inspectExec(bg.id)).toMatchObject({ running: false, exitCode: 3 });
    });

    it('exec -t: a terminal, resizable through resizeExec', async () => {
      const input = inputQueue();
      const { id } = await svc.createExec(running, { cmd: ['sh'], tty: true, attachStdin: true });
      const it = svc.startExec(id, { stdin: input.iterable, size: { width: 77, height: 22 } })[Symbol.asyncIterator]();
      input.push('stty size\r');
      await readUntil(it, '22 77');
      await svc.resizeExec(id, { width: 66, height: 11 });
      input.push('stty size\r');
      await readUntil(it, '11 66');
      input.push('exit\r');
      while (!(await it.next()).done);
      input.end();
      expect((await svc.inspectExec(id)).exitCode).toBe(0);
    });

    it('bad exec input: unknown exec, missing command (127), stopped container, unknown user', async () => {
      expect((await rejection(svc.inspectExec('nosuchexec'))).code).toBe('NotFound');
      const { id } = await svc.createExec(running, { cmd: ['nosuchcommand'] });
      const err = await rejection(collect(svc.startExec(id)));
      expect(err).toMatchObject({ code: 'NotFound', details: { reason: 'ExecutableNotFound' } });
      expect((await svc.inspectExec(id)).exitCode).toBe(127);
      const user = await svc.createExec(running, { cmd: ['true'], user: 'nosuchuser' });
      expect((await rejection(collect(svc.startExec(user.id)))).code).toBe('InvalidArgument');
      const { id: stopped } = await svc.create({
        hostConfig: { networkMode: 'none' },
        name: uniqueName('ctr'),
        config: { image: h.image, cmd: ['true'] },
      });
      const notRunning = await rejection(svc.createExec(stopped, { cmd: ['true'] }));
      expect(notRunning.code).toBe('FailedPrecondition');
      expect(notRunning.message).toMatch(/is not running/);
      expect((await rejection(svc.resize(running, { width: 80, height: 24 }))).code).toBe('FailedPrecondition');
      expect((await rejection(collect(svc.attachStdio(running, { tty: true })))).code).toBe('FailedPrecondition');
      const stdin = await rejection(collect(svc.attachStdio(running, { stdin: inputQueue().iterable })));
      expect(stdin.code).toBe('FailedPrecondition');
    });

    it('run -i: attached before start, stdin reaches it, its end closes it', async () => {
      const { id } = await svc.create({
        hostConfig: { networkMode: 'none' },
        name: uniqueName('ctr'),
        config: { image: h.image, cmd: ['sh', '-c', 'cat; echo end >&2'], openStdin: true, stdinOnce: true },
      });
      const input = inputQueue();
      let onAttached!: () => void;
      const attached = new Promise<void>((r) => (onAttached = r));
      const out = collect(svc.attachStdio(id, { stdin: input.iterable, onAttached }));
      await attached;
      const exited = svc.wait(id, { condition: 'next-exit' });
      await svc.start(id);
      input.push('in\n');
      input.end();
      expect(await out).toEqual({ stdout: 'in\n', stderr: 'end\n' });
      expect((await exited).exitCode).toBe(0);
    });

    it('run -it: a TTY from the first byte, resize, detach leaves it running, attach re-joins', async () => {
      const { id } = await svc.create({
        hostConfig: { networkMode: 'none' },
        name: uniqueName('ctr'),
        config: { image: h.image, cmd: ['sh'], openStdin: true, tty: true },
      });
      const input = inputQueue();
      const detach = new AbortController();
      let onAttached!: () => void;
      const attached = new Promise<void>((r) => (onAttached = r));
      const it = svc
        .attachStdio(id, { stdin: input.iterable, tty: true, onAttached, signal: detach.signal })
        [Symbol.asyncIterator]();
      const first = it.next();
      await attached;
      await svc.start(id);
      await svc.resize(id, { width: 101, height: 33 });
      input.push('stty size\r');
      const head = await first;
      if (!head.done && !Buffer.from(head.value.data).toString().includes('33 101')) await readUntil(it, '33 101');
      detach.abort();
      while (!(await it.next()).done);
      expect((await svc.inspect(id)).state.running).toBe(true);
      const again = inputQueue();
      const it2 = svc.attachStdio(id, { stdin: again.iterable, tty: true })[Symbol.asyncIterator]();
      again.push('echo re$((40+2))\r');
      await readUntil(it2, 're42');
      const exited = svc.wait(id, { condition: 'next-exit' });
      again.push('exit 6\r');
      while (!(await it2.next()).done);
      expect((await exited).exitCode).toBe(6);
    });
  });
}
