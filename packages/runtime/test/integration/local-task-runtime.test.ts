import { describe } from 'vitest';
import { skipUnlessRoot } from '@tscr/testkit';
import { createLocalTaskRuntime } from '@tscr/runtime/local';
import { describeTaskRuntime } from '../conformance/task-runtime.js';

describe.skipIf(skipUnlessRoot('runc', 'conmon'))('LocalTaskRuntime (root)', () => {
  describeTaskRuntime('local', async (fx) => {
    const runtime = createLocalTaskRuntime({ stateDir: fx.stateDir, cgroupParent: fx.cgroupParent });
    return { runtime, close: () => runtime.settled() };
  });
});
