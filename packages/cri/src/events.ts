/** GetContainerEvents: the container service's events of CRI objects, as CRI container events. */
import type { criV1 } from '@tscr/api/cri';
import type { CriContainers } from './containers.js';
import { KIND_LABEL } from './meta.js';
import type { PodSandboxes } from './pods.js';
import type { CriBackends } from './types.js';

/** Container service action → ContainerEventType. */
const EVENT_TYPES: Record<string, number> = { create: 0, start: 1, die: 2, destroy: 3 };

/** Live CRI container events until `signal` aborts. */
export async function* containerEvents(
  b: CriBackends,
  pods: PodSandboxes,
  containers: CriContainers,
  signal: AbortSignal,
): AsyncGenerator<criV1.ContainerEventResponse> {
  if (!b.events) return;
  for await (const e of b.events.subscribe({ types: ['container'], signal })) {
    const type = EVENT_TYPES[e.action];
    const kind = e.attributes?.[KIND_LABEL];
    if (type === undefined || (kind !== 'sandbox' && kind !== 'container')) continue;
    const event: criV1.ContainerEventResponse = {
      containerId: e.id,
      containerEventType: type,
      createdAt: Number(e.timeNano),
      containersStatuses: [],
    };
    if (type !== 3) {
      try {
        if (kind === 'sandbox') event.podSandboxStatus = await pods.status(e.id);
        else event.containersStatuses = [await containers.status(e.id)];
      } catch {
        // removed meanwhile: the event goes out without a status
      }
    }
    yield event;
  }
}
