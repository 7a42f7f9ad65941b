/**
 * The ContainerService conformance suite over the real local layers (image
 * store + overlay snapshots, conmon + runc, none/host networks, binds):
 * the local service directly, and the same through gRPC. Needs root.
 */
import { describe } from 'vitest';
import { skipUnlessRoot } from '@tscr/testkit';
import { describeContainerService } from '../conformance/container-service.js';
import { realStack, realStackOverGrpc } from '../fixtures/real-stack.js';

describe.skipIf(skipUnlessRoot('runc', 'conmon'))('real layers', () => {
  describeContainerService('local over real layers', realStack);
  describeContainerService('gRPC over real layers', realStackOverGrpc);
});
