import { describeContainerService } from '../conformance/container-service.js';
import { fakeStack } from '../fixtures/harness.js';

describeContainerService('local over fakes', async () => {
  const stack = await fakeStack();
  return { service: stack.service, image: 'busybox:test', cleanup: stack.cleanup };
});
