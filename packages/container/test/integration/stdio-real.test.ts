/**
 * The ContainerStdio conformance suite (attach with stdin, TTYs, exec) over
 * the real local layers, directly and through gRPC. Needs root.
 */
import { describe } from 'vitest';
import { skipUnlessRoot } from '@tscr/testkit';
import { describeContainerStdio } from '../conformance/stdio.js';
import { realStack, realStackOverGrpc } from '../fixtures/real-stack.js';

describe.skipIf(skipUnlessRoot('runc', 'conmon'))('real layers: stdio', () => {
  describeContainerStdio('local over real layers', realStack);
  describeContainerStdio('gRPC over real layers', realStackOverGrpc);
});
