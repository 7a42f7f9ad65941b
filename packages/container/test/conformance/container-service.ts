/**
 * The ContainerService contract, run against every implementation: the
 * local service (over fakes, and over the real layers as root) and the gRPC
 * client talking to a real server. Commands used: `echo`, `sleep`,
 * `sh -c 'echo …; exit N'`, so busybox and the fake runtime both qualify.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorCode, isTscrError, type LogEntry } from '@tscr/api';
import type { ContainerService, CreateContainerRequest } from '@tscr/container';
import { uniqueName } from '@tscr/testkit';

/** What a conformance run needs. */
export interface ContainerHarness {
  service: ContainerService;
  /** An image whose default command is `sh`, with busybox-like commands. */
  image: string;
  cleanup(): Promise<void>;
}

/** Collects an output stream's text. */
export async function collect(stream: AsyncIterable<LogEntry>): Promise<string> {
  let text = '';
  for await (const entry of stream) text += Buffer.from(entry.data).toString();
  return text;
}

/** The code (and details) a promise rejects with. */
export async function rejection(
  p: Promise<unknown>,
): Promise<{ code: string; message: string; details: Record<string, string> }> {
  try {
    await p;
  } catch (err) {
    return {
      code: errorCode(err),
      message: err instanceof Error ? err.message : '',
      details: isTscrError(err) ? err.details : {},
    };
  }
  throw new Error('expected a rejection');
}

/** Creates, attaches, starts and waits, as `tscr run` does. Returns output and exit code. */
export async function run(service: ContainerService, req: CreateContainerRequest) {
  const { id } = await service.create(req);
  let onAttached!: () => void;
  const attached = new Promise<void>((resolve) => (onAttached = resolve));
  const output = collect(service.attach(id, { onAttached }));
  await attached;
  const exited = service.wait(id, { condition: req.hostConfig?.autoRemove ? 'removed' : 'next-exit' });
  await service.start(id);
  const status = await exited;
  return { id, status, output: await output };
}

/** Registers the ContainerService conformance tests. */
export function describeContainerService(name: string, setup: () => Promise<ContainerHarness>): void {
  describe(`ContainerService conformance: ${name}`, () => {
    let h: ContainerHarness;
    let svc: ContainerService;
    const made: string[] = [];
    const create = async (
      req: Omit<CreateContainerRequest, 'config'> & { config?: Partial<CreateContainerRequest['config']> },
    ) => {
      const { id } = await svc.create({ name: uniqueName('ctr'), ...req, config: { image: h.image, ...req.config } });
      made.push(id);
      return id;
    };

    beforeAll(async () => {
      h = await setup();
      svc = h.service;
    });
    afterAll(async () => {
      for (const id of made) await svc.remove(id, { force: true }).catch(() => undefined);
      await h?.cleanup();
    });

    it('creates a container in state created, listed only with all', async () => {
      const name = uniqueName('ctr');
      const id = await create({ name, config: { cmd: ['echo', 'hi'] } });
      expect(id).toMatch(/^[0-9a-f]{64}$/);
      const info = await svc.inspect(id);
      expect(info).toMatchObject({ id, name, path: 'echo', args: ['hi'] });
      expect(info.state).toMatchObject({ status: 'created', running: false, exitCode: 0 });
      expect(info.config.hostname).toBe(id.slice(0, 12));
      expect((await svc.list()).map((c) => c.id)).not.toContain(id);
      const row = (await svc.list({ all: true })).find((c) => c.id === id);
      expect(row).toMatchObject({ names: [`/${name}`], state: 'created', status: 'Created', command: 'echo hi' });
    });

    it('finds containers by name, /name and unique ID prefix', async () => {
      const name = uniqueName('ctr');
      const id = await create({ name, config: { cmd: ['echo'] } });
      expect((await svc.inspect(name)).id).toBe(id);
      expect((await svc.inspect(`/${name}`)).id).toBe(id);
      expect((await svc.inspect(id.slice(0, 16))).id).toBe(id);
    });

    it('uses the image cmd when none is given, and --entrypoint clears it', async () => {
      const plain = await svc.inspect(await create({}));
      expect([plain.path, ...plain.args]).toEqual(['sh']);
      const ep = await svc.inspect(await create({ config: { entrypoint: ['echo'], cmd: ['a', 'b'] } }));
      expect([ep.path, ...ep.args]).toEqual(['echo', 'a', 'b']);
      const onlyEp = await svc.inspect(await create({ config: { entrypoint: ['echo'] } }));
      expect([onlyEp.path, ...onlyEp.args]).toEqual(['echo']);
      const none = await rejection(create({ config: { entrypoint: [] } }));
      expect(none.code).toBe('InvalidArgument');
      expect(none.message).toContain('no command specified');
    });

    it('rejects bad input with the right codes', async () => {
      const name = uniqueName('ctr');
      const id = await create({ name, config: { cmd: ['echo'] } });
      const taken = await rejection(create({ name, config: { cmd: ['echo'] } }));
      expect(taken.code).toBe('AlreadyExists');
      expect(taken.message).toBe(`the container name "/${name}" is already in use by container ${id}`);
      expect((await rejection(create({ name: '-bad', config: { cmd: ['echo'] } }))).code).toBe('InvalidArgument');
      const image = await rejection(create({ config: { image: 'tscr-test-no-such-image:latest', cmd: ['echo'] } }));
      expect(image.code).toBe('NotFound');
      expect(image.message).toContain('no such image: tscr-test-no-such-image:latest');
      expect((await rejection(svc.inspect(uniqueName('nope')))).code).toBe('NotFound');
      expect((await rejection(svc.start(uniqueName('nope')))).code).toBe('NotFound');
      expect((await rejection(svc.wait(uniqueName('nope')))).code).toBe('NotFound');
    });

    it('runs a command: attach before start sees its output, logs keep it', async () => {
      const name = uniqueName('ctr');
      const r = await run(svc, { name, config: { image: h.image, cmd: ['echo', 'hello'] } });
      made.push(r.id);
      expect(r.status.exitCode).toBe(0);
      expect(r.output).toBe('hello\n');
      expect(await collect(svc.logs(name))).toBe('hello\n');
      const info = await svc.inspect(name);
      expect(info.state).toMatchObject({ status: 'exited', running: false, exitCode: 0, pid: 0 });
      expect(info.state.finishedAt).not.toBe('');
      const row = (await svc.list({ all: true })).find((c) => c.id === r.id);
      expect(row?.status).toMatch(/^Exited \(0\) /);
    });

    it('propagates exit codes', async () => {
      const r = await run(svc, { config: { image: h.image, cmd: ['sh', '-c', 'echo bye; exit 3'] } });
      made.push(r.id);
      expect(r.status.exitCode).toBe(3);
      expect(r.output).toBe('bye\n');
      expect((await svc.inspect(r.id)).state.exitCode).toBe(3);
      expect((await svc.wait(r.id)).exitCode).toBe(3);
    });

    it('stops a running container; stop, start and kill follow the state', async () => {
      const id = await create({ config: { cmd: ['sleep', '1000'] } });
      expect((await rejection(svc.kill(id))).code).toBe('FailedPrecondition');
      await svc.start(id);
      await svc.start(id);
      const info = await svc.inspect(id);
      expect(info.state).toMatchObject({ status: 'running', running: true });
      expect(info.state.pid).toBeGreaterThan(0);
      expect((await svc.list()).map((c) => c.id)).toContain(id);
      expect((await svc.list()).find((c) => c.id === id)?.status).toMatch(/^Up /);
      await svc.stop(id, { timeout: 1 });
      const stopped = await svc.inspect(id);
      expect(stopped.state.status).toBe('exited');
      expect([137, 143]).toContain(stopped.state.exitCode);
      await svc.stop(id);
      expect((await rejection(svc.kill(id, 'SIGKILL'))).code).toBe('FailedPrecondition');
    });

    it('restarts an exited container', async () => {
      const r = await run(svc, { config: { image: h.image, cmd: ['echo', 'again'] } });
      made.push(r.id);
      const exited = svc.wait(r.id, { condition: 'next-exit' });
      await svc.start(r.id);
      expect((await exited).exitCode).toBe(0);
      expect(await collect(svc.logs(r.id))).toBe('again\nagain\n');
    });

    it('refuses to remove a running container without force', async () => {
      const name = uniqueName('ctr');
      const id = await create({ name, config: { cmd: ['sleep', '1000'] } });
      await svc.start(id);
      const refused = await rejection(svc.remove(name));
      expect(refused.code).toBe('FailedPrecondition');
      expect(refused.message).toBe(
        `cannot remove container "/${name}": container is running: stop the container before removing or force remove`,
      );
      const removed = svc.wait(id, { condition: 'removed' });
      await svc.remove(name, { force: true });
      expect((await removed).exitCode).toBe(137);
      expect((await rejection(svc.inspect(id))).code).toBe('NotFound');
    });

    it('removes an autoRemove container when it exits', async () => {
      const r = await run(svc, {
        config: { image: h.image, cmd: ['sh', '-c', 'echo gone; exit 5'] },
        hostConfig: { autoRemove: true },
      });
      expect(r.status.exitCode).toBe(5);
      expect(r.output).toBe('gone\n');
      expect((await rejection(svc.inspect(r.id))).code).toBe('NotFound');
    });

    it('reports a missing executable as NotFound/ExecutableNotFound and exit code 127', async () => {
      const id = await create({ config: { cmd: ['nosuchcmd'] } });
      const failed = await rejection(svc.start(id));
      expect(failed.code).toBe('NotFound');
      expect(failed.details.reason).toBe('ExecutableNotFound');
      const info = await svc.inspect(id);
      expect(info.state).toMatchObject({ status: 'created', running: false, exitCode: 127 });
      expect(info.state.error).not.toBe('');
    });

    it('follows logs until the container stops', async () => {
      const id = await create({ config: { cmd: ['sh', '-c', 'echo one; sleep 1000'] } });
      await svc.start(id);
      let text = '';
      let killed: Promise<void> | undefined;
      for await (const entry of svc.logs(id, { follow: true })) {
        text += Buffer.from(entry.data).toString();
        if (text.includes('one\n')) killed ??= svc.kill(id, 'SIGKILL');
      }
      await killed;
      expect(text).toBe('one\n');
      expect((await svc.wait(id)).exitCode).toBe(137);
    });

    it('cancels a wait through its AbortSignal', async () => {
      const id = await create({ config: { cmd: ['echo'] } });
      const ac = new AbortController();
      const waiting = svc.wait(id, { condition: 'next-exit', signal: ac.signal });
      ac.abort();
      expect((await rejection(waiting)).code).toBe('Cancelled');
    });
  });
}
