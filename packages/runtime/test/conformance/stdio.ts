import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorCode } from '@tscr/api';
import type { OutputChunk, TaskRuntime } from '@tscr/runtime';
import { execCapture } from '@tscr/runtime/local';
import { makeRuntimeFixture, type RuntimeFixture } from './fixture.js';
import type { RuntimeUnderTest } from './task-runtime.js';

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'ok';
  } catch (err) {
    return errorCode(err);
  }
}

/** Collects output as text per stream. */
async function collect(output: AsyncIterable<OutputChunk>): Promise<{ stdout: string; stderr: string }> {
  const out = { stdout: '', stderr: '' };
  for await (const c of output) out[c.stream] += Buffer.from(c.data).toString('utf8');
  return out;
}

/** An input stream the test writes to: push(chunk), end(). */
function inputQueue() {
  const items: Uint8Array[] = [];
  let ended = false;
  let wake: (() => void) | undefined;
  const iterable: AsyncIterable<Uint8Array> = {
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
  };
  return {
    iterable,
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

/** Reads output until `text` has been seen; returns everything read. */
async function readUntil(it: AsyncIterator<OutputChunk>, text: string | RegExp): Promise<string> {
  let seen = '';
  for (;;) {
    const r = await it.next();
    if (r.done) throw new Error(`output ended before ${String(text)}; got ${JSON.stringify(seen)}`);
    seen += Buffer.from(r.value.data).toString('utf8');
    if (typeof text === 'string' ? seen.includes(text) : text.test(seen)) return seen;
  }
}

/** Bytes a process has written (/proc/<pid>/io wchar). */
async function wchar(pid: number): Promise<number> {
  const io = await readFile(`/proc/${pid}/io`, 'utf8');
  return Number(/wchar: (\d+)/.exec(io)?.[1]);
}

/** Waits until `pid` writes no more between two looks (the pipe it writes to is full). */
async function stalled(pid: number): Promise<number> {
  let last = -1;
  for (;;) {
    const now = await wchar(pid);
    if (now === last) return now;
    last = now;
    await new Promise((r) => setTimeout(r, 300));
  }
}

/**
 * The exec / attach / resize conformance suite, for any TaskRuntime over a
 * LocalTaskRuntime configured with the fixture.
 */
export function describeTaskStdio(name: string, setup: (fx: RuntimeFixture) => Promise<RuntimeUnderTest>): void {
  describe(`TaskRuntime stdio: ${name}`, () => {
    let fx: RuntimeFixture;
    let sut: RuntimeUnderTest;
    let rt: TaskRuntime;
    let sleeper: string;

    beforeAll(async () => {
      fx = await makeRuntimeFixture('stdio');
      sut = await setup(fx);
      rt = sut.runtime;
      const spec = fx.spec(['sleep', '3600']);
      await rt.create(spec);
      await rt.start(spec.id);
      sleeper = spec.id;
    });

    afterAll(async () => {
      if (rt) {
        for (const t of await rt.list().catch(() => [])) await rt.delete(t.id, { force: true }).catch(() => undefined);
      }
      await sut?.close();
      await fx?.cleanup();
    });

    it('exec keeps stdout and stderr apart and returns the exit code', async () => {
      const s = await rt.exec(sleeper, { id: 'e1', args: ['sh', '-c', 'echo out; echo err >&2; exit 3'] });
      expect(s.pid).toBeGreaterThan(0);
      expect(await collect(s.output)).toEqual({ stdout: 'out\n', stderr: 'err\n' });
      expect((await s.exit).exitCode).toBe(3);
    });

    it('exec runs in the task: its env, namespaces and cgroup, with -e, -w and -u', async () => {
      const s = await rt.exec(sleeper, {
        id: 'e2',
        args: ['sh', '-c', `echo $FOO; pwd; id -u; hostname; cat /proc/self/cgroup | grep -c ${sleeper}`],
        env: ['FOO=bar'],
        cwd: '/tmp',
        user: 'tscr',
      });
      const out = await collect(s.output);
      const [foo, pwd, uid, host, cg] = out.stdout.trim().split('\n');
      expect({ foo, pwd, uid, host }).toEqual({ foo: 'bar', pwd: '/tmp', uid: '1000', host: 'tscr-test-host' });
      expect(Number(cg)).toBeGreaterThan(0);
      expect((await s.exit).exitCode).toBe(0);
    });

    it('exec pipes stdin; its end closes the process stdin', async () => {
      const input = inputQueue();
      const s = await rt.exec(sleeper, { id: 'e3', args: ['sh', '-c', 'cat; echo done'] }, { stdin: input.iterable });
      input.push('hello ');
      input.push('world\n');
      input.end();
      expect((await collect(s.output)).stdout).toBe('hello world\ndone\n');
      expect((await s.exit).exitCode).toBe(0);
    });

    it('exec with a TTY: a terminal of the requested size, resizable', async () => {
      const input = inputQueue();
      const s = await rt.exec(
        sleeper,
        { id: 'e4', args: ['sh'], terminal: true, size: { width: 100, height: 30 } },
        { stdin: input.iterable },
      );
      const it = s.output[Symbol.asyncIterator]();
      input.push('stty size; tty\r');
      expect(await readUntil(it, /30 100[\s\S]*\/dev\/pts\//)).toMatch(/30 100/);
      await rt.resizeExec(sleeper, 'e4', { width: 90, height: 20 });
      input.push('stty size\r');
      await readUntil(it, '20 90');
      input.push('exit 5\r');
      for (;;) if ((await it.next()).done) break;
      expect((await s.exit).exitCode).toBe(5);
      input.end();
    });

    it('execCapture: 127 for a missing command, output bounded, timeout kills', async () => {
      expect(await execCapture(rt, sleeper, ['nosuch'])).toMatchObject({ exitCode: 127, timedOut: false });
      const big = await execCapture(rt, sleeper, ['sh', '-c', 'yes | head -c 100000; exit 1'], { maxOutput: 10 });
      expect(big).toEqual({ exitCode: 1, output: 'y\ny\ny\ny\ny\n', timedOut: false });
      const slow = await execCapture(rt, sleeper, ['sleep', '100'], { timeoutMs: 300 });
      expect(slow.timedOut).toBe(true);
    });

    it('bad exec input: missing command, unknown user or workdir, stopped task, duplicate id', async () => {
      expect(await codeOf(rt.exec(sleeper, { id: 'b1', args: ['nosuch'] }))).toBe('NotFound');
      expect(await codeOf(rt.exec(sleeper, { id: 'b2', args: ['/etc/passwd'] }))).toBe('PermissionDenied');
      expect(await codeOf(rt.exec(sleeper, { id: 'b3', args: ['true'], user: 'nosuchuser' }))).toBe('InvalidArgument');
      expect(await codeOf(rt.exec(sleeper, { id: 'b4', args: ['true'], cwd: '/nonexistent' }))).toBe('InvalidArgument');
      expect(await codeOf(rt.exec('tscr-test-nosuchtask', { id: 'b5', args: ['true'] }))).toBe('NotFound');
      expect(await codeOf(rt.resize(sleeper, { width: 80, height: 24 }))).toBe('FailedPrecondition');
      const s = await rt.exec(sleeper, { id: 'dup', args: ['sleep', '100'] }, { output: false });
      expect(await codeOf(rt.exec(sleeper, { id: 'dup', args: ['true'] }))).toBe('AlreadyExists');
      process.kill(s.pid, 'SIGKILL');
      expect((await s.exit).exitCode).toBe(137);
      const done = fx.spec(['true']);
      await rt.create(done);
      await rt.start(done.id);
      await rt.wait(done.id);
      expect(await codeOf(rt.exec(done.id, { id: 'b6', args: ['true'] }))).toBe('FailedPrecondition');
      expect(await codeOf(rt.attach(done.id))).toBe('FailedPrecondition');
      await rt.delete(done.id);
    });

    it('attach with stdin (-i): input reaches the task, its end closes stdin (stdinOnce)', async () => {
      const spec = fx.spec(['sh', '-c', 'cat; echo bye >&2'], {});
      spec.process.openStdin = true;
      spec.process.stdinOnce = true;
      await rt.create(spec);
      const input = inputQueue();
      const session = await rt.attach(spec.id, { stdin: input.iterable });
      await rt.start(spec.id);
      input.push('abc\n');
      input.end();
      expect(await collect(session.output)).toEqual({ stdout: 'abc\n', stderr: 'bye\n' });
      expect((await rt.wait(spec.id)).exitCode).toBe(0);
      expect(await codeOf(rt.attach(sleeper, { stdin: inputQueue().iterable }))).toBe('FailedPrecondition');
      await rt.delete(spec.id);
    });

    it('attach to a TTY task: resize reaches it, a detach leaves it running, a second attach re-joins', async () => {
      const spec = fx.spec(['sh']);
      spec.process.terminal = true;
      spec.process.openStdin = true;
      await rt.create(spec);
      await rt.start(spec.id);
      const detach = new AbortController();
      const input = inputQueue();
      const first = await rt.attach(spec.id, { stdin: input.iterable }, { signal: detach.signal });
      const it = first.output[Symbol.asyncIterator]();
      await rt.resize(spec.id, { width: 120, height: 40 });
      input.push('stty size\r');
      await readUntil(it, '40 120');
      detach.abort();
      for (;;) if ((await it.next()).done) break;
      expect((await rt.state(spec.id)).status).toBe('running');
      const again = inputQueue();
      const second = await rt.attach(spec.id, { stdin: again.iterable });
      const it2 = second.output[Symbol.asyncIterator]();
      again.push('echo back$((1+1))\r');
      await readUntil(it2, 'back2');
      again.push('exit 4\r');
      for (;;) if ((await it2.next()).done) break;
      expect((await rt.wait(spec.id)).exitCode).toBe(4);
      expect(await codeOf(rt.resize(spec.id, { width: 0, height: 10 }))).not.toBe('ok');
      await rt.delete(spec.id);
    });

    it('backpressure: an exec writing 1 GiB to a reader that stops is throttled, not buffered', async () => {
      const s = await rt.exec(sleeper, { id: 'flood', args: ['dd', 'if=/dev/zero', 'bs=65536', 'count=16384'] });
      const it = s.output[Symbol.asyncIterator]();
      for (let i = 0; i < 4; i++) await it.next();
      const written = await stalled(s.pid);
      // Blocked with at most a few pipes' and queues' worth in flight, far from 1 GiB.
      expect(written).toBeLessThan(64 * 1024 * 1024);
      expect((await readFile(`/proc/${s.pid}/stat`, 'utf8')).split(') ')[1]![0]).toBe('S');
      await it.return?.();
      process.kill(s.pid, 'SIGKILL');
      await s.exit;
    });

    it('backpressure: a task attached by a reader that stops is throttled through its monitor', async () => {
      const spec = fx.spec(['dd', 'if=/dev/zero', 'bs=65536', 'count=16384']);
      await rt.create(spec);
      const session = await rt.attach(spec.id);
      const started = await rt.start(spec.id);
      const it = session.output[Symbol.asyncIterator]();
      for (let i = 0; i < 4; i++) await it.next();
      const written = await stalled(started.pid);
      expect(written).toBeLessThan(64 * 1024 * 1024);
      expect((await rt.state(spec.id)).status).toBe('running');
      await it.return?.();
      await rt.delete(spec.id, { force: true });
    });
  });
}
