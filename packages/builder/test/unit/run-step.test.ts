import { rm } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { cancelled, type ExitStatus } from '@tscr/api';
import type { TaskRuntime } from '@tscr/runtime';
import { makeTempDir } from '@tscr/testkit';
import { runStep } from '../../src/local/run-step.js';

/**
 * A runtime whose task runs until `signal` aborts; wait rejects with Cancelled then (at once when already
 * aborted), as the real one does. `abortOnStart`: the client goes away just as the task starts.
 */
function runningForever(abortOnStart?: AbortController): { runtime: TaskRuntime; deleted: string[] } {
  const deleted: string[] = [];
  const runtime = {
    create: async () => ({}),
    start: async () => {
      abortOnStart?.abort();
      return {};
    },
    wait: (_id: string, opts?: { signal?: AbortSignal }) => {
      if (opts?.signal?.aborted) return Promise.reject(cancelled('wait cancelled'));
      return new Promise<ExitStatus>((_resolve, reject) => {
        opts?.signal?.addEventListener('abort', () => reject(cancelled('wait cancelled')), { once: true });
      });
    },
    delete: async (id: string) => {
      deleted.push(id);
      return undefined;
    },
  } as unknown as TaskRuntime;
  return { runtime, deleted };
}

describe('runStep', () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  for (const when of ['mid-run', 'as the task starts'] as const) {
    it(`ends with Cancelled when aborted ${when}, deletes the task, and leaves no rejection unhandled`, async () => {
      dir = await makeTempDir('run-step');
      const unhandled: unknown[] = [];
      const onUnhandled = (reason: unknown) => unhandled.push(reason);
      process.on('unhandledRejection', onUnhandled);
      try {
        const abort = new AbortController();
        const { runtime, deleted } = runningForever(when === 'as the task starts' ? abort : undefined);
        const step = runStep(runtime, {
          id: 'tscr-test-step',
          rootfs: [],
          args: ['sleep', '100'],
          env: [],
          cwd: '/',
          network: 'none',
          workDir: dir,
          output: async () => undefined,
          where: 'step 1/1',
          signal: abort.signal,
        });
        if (when === 'mid-run') setTimeout(() => abort.abort(), 30);
        await expect(step).rejects.toMatchObject({ code: 'Cancelled' });
        expect(deleted).toEqual(['tscr-test-step']);
        // Give an unhandled rejection the turns Node takes to report it.
        await new Promise((r) => setTimeout(r, 50));
        expect(unhandled).toEqual([]);
      } finally {
        process.off('unhandledRejection', onUnhandled);
      }
    });
  }
});
