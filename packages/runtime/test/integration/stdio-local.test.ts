import { describe } from 'vitest';
import { skipUnlessRoot } from '@tscr/testkit';
import { createLocalTaskRuntime } from '@tscr/runtime/local';
import { describeTaskStdio } from '../conformance/stdio.js';

describe.skipIf(skipUnlessRoot('runc', 'conmon'))('LocalTaskRuntime exec/attach (root)', () => {
  describeTaskStdio('local', async (fx) => ({
    runtime: createLocalTaskRuntime({ stateDir: fx.stateDir, cgroupParent: fx.cgroupParent }),
    close: async () => undefined,
  }));
});
