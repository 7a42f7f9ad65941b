import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { BuildEvent } from '@tscr/builder';
import type { LocalBuilderOptions } from '@tscr/builder/local';
import { makeTempDir } from '@tscr/testkit';
import { LazyBuilder, type RecoverableBuilder } from '../../src/lazy-builder.js';

/** A fake builder factory that counts what it is asked for. */
function fake() {
  const calls = { made: 0, recovered: 0, built: 0 };
  const factory = async (): Promise<RecoverableBuilder> => {
    calls.made++;
    return {
      async recover() {
        calls.recovered++;
      },
      async *build(): AsyncIterable<BuildEvent> {
        calls.built++;
        yield { type: 'message', text: 'hello' };
        yield { type: 'result', imageId: 'sha256:x', tags: [], cachedSteps: [], totalSteps: 1 };
      },
    };
  };
  return { calls, factory };
}

const options = (stateDir: string) => ({ stateDir }) as unknown as LocalBuilderOptions;

describe('LazyBuilder', () => {
  const dirs: string[] = [];
  const tempDir = async (): Promise<string> => {
    const dir = await makeTempDir('lazy-builder');
    dirs.push(dir);
    return dir;
  };
  afterAll(async () => {
    await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
  });

  it('does not make the builder at start when no build was interrupted', async () => {
    const dir = await tempDir();
    const { calls, factory } = fake();
    const b = new LazyBuilder(options(dir), factory);
    await b.recover(); // no tmp at all
    await mkdir(join(dir, 'tmp'));
    await b.recover(); // an empty tmp
    expect(calls).toEqual({ made: 0, recovered: 0, built: 0 });
    expect(b.loaded).toBe(false);
  });

  it('makes the builder and recovers when a build left its scratch directory', async () => {
    const dir = await tempDir();
    await mkdir(join(dir, 'tmp', 'build-00112233445566778899aabb'), { recursive: true });
    await writeFile(join(dir, 'tmp', 'build-00112233445566778899aabb', 'context'), '');
    const { calls, factory } = fake();
    const b = new LazyBuilder(options(dir), factory);
    await b.recover();
    expect(calls).toEqual({ made: 1, recovered: 1, built: 0 });
  });

  it('makes the builder once, on the first build, and passes its events through', async () => {
    const dir = await tempDir();
    const { calls, factory } = fake();
    const b = new LazyBuilder(options(dir), factory);
    const stream = b.build((async function* () {})());
    expect(calls.made).toBe(0);
    const events: BuildEvent[] = [];
    for await (const e of stream) events.push(e);
    for await (const e of b.build((async function* () {})())) events.push(e);
    expect(events.map((e) => e.type)).toEqual(['message', 'result', 'message', 'result']);
    expect(calls).toEqual({ made: 1, recovered: 0, built: 2 });
  });
});
