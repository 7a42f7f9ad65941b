import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { skipUnlessRoot } from '@tscr/testkit';
import { createLocalTaskRuntime, logOffset, readLogs, type LocalTaskRuntime } from '@tscr/runtime/local';
import { makeRuntimeFixture, type RuntimeFixture } from '../conformance/fixture.js';

describe.skipIf(skipUnlessRoot('runc', 'conmon'))('readLogs on a live task (root)', () => {
  let fx: RuntimeFixture;
  let rt: LocalTaskRuntime;
  beforeAll(async () => {
    fx = await makeRuntimeFixture('runtime-logs');
    rt = createLocalTaskRuntime({ stateDir: fx.stateDir, cgroupParent: fx.cgroupParent });
  });
  afterAll(async () => {
    for (const t of await rt.list().catch(() => [])) await rt.delete(t.id, { force: true }).catch(() => undefined);
    await fx.cleanup();
  });

  it('follows output from the current end until the task exits, losing nothing at the end', async () => {
    const spec = fx.spec([
      'sh',
      '-c',
      'sleep 0.2; i=0; while [ $i -lt 3000 ]; do echo line$i; i=$((i+1)); done; echo bye >&2',
    ]);
    await rt.create(spec);
    const offset = await logOffset(spec.logPath);
    const stopped = rt.wait(spec.id);
    const entries: string[] = [];
    const reading = (async () => {
      for await (const e of readLogs(spec.logPath, { follow: true, offset, stopped })) {
        entries.push(`${e.stream} ${Buffer.from(e.data).toString()}`);
      }
    })();
    await rt.start(spec.id);
    await reading;
    expect((await stopped).exitCode).toBe(0);
    const stdout = entries
      .filter((e) => e.startsWith('stdout '))
      .map((e) => e.slice(7))
      .join('');
    expect(stdout.split('\n').length - 1).toBe(3000);
    expect(stdout.endsWith('line2999\n')).toBe(true);
    expect(entries.filter((e) => e.startsWith('stderr '))).toEqual(['stderr bye\n']);
    expect(await rt.delete(spec.id)).toMatchObject({ exitCode: 0 });
  });
});
