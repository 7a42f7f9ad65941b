/** Looking at running projects: `ps` rows and interleaved logs. */
import type { LogEntry } from '@tscr/api';
import type { ContainerService } from '@tscr/container';
import type { Found } from './project-containers.js';
import type { CallOptions, ProjectContainer } from './types.js';

/** One `ps` row: the summary, plus health and published ports from inspect. */
export async function describe(
  containers: Pick<ContainerService, 'inspect'>,
  c: Found,
  o: CallOptions = {},
): Promise<ProjectContainer> {
  const info = await containers.inspect(c.id, o).catch(() => undefined);
  const ports: ProjectContainer['ports'] = [];
  for (const [key, bindings] of Object.entries(info?.networkSettings?.ports ?? {})) {
    const [target, protocol] = key.split('/') as [string, string];
    for (const b of bindings) {
      ports.push({
        url: b.hostIp || '0.0.0.0',
        targetPort: Number(target),
        publishedPort: Number(b.hostPort),
        protocol: protocol ?? 'tcp',
      });
    }
  }
  return {
    id: c.id,
    name: c.name,
    service: c.service,
    number: c.number,
    oneoff: c.oneoff,
    image: c.summary.image,
    command: c.summary.command,
    state: c.summary.state,
    status: c.summary.status,
    health: info?.state.health?.status ?? '',
    exitCode: info?.state.exitCode ?? 0,
    created: c.summary.created,
    labels: c.summary.labels,
    ports,
  };
}

/** A log entry with the container it came from. */
export interface ServiceLogEntry {
  service: string;
  /** The container's name (`PROJECT-SERVICE-N`). */
  container: string;
  number: number;
  entry: LogEntry;
}

/** Every container's logs as one stream, entries interleaved as they arrive. */
export async function* mergeLogs(
  containers: Pick<ContainerService, 'logs'>,
  list: Found[],
  o: CallOptions & { follow?: boolean; tail?: number; since?: string; until?: string },
): AsyncGenerator<ServiceLogEntry> {
  const iters = list.map((c) => ({
    c,
    it: containers
      .logs(c.id, {
        ...(o.signal && { signal: o.signal }),
        ...(o.follow && { follow: true }),
        ...(o.tail !== undefined && { tail: o.tail }),
        ...(o.since && { since: o.since }),
        ...(o.until && { until: o.until }),
      })
      [Symbol.asyncIterator](),
  }));
  const pending = new Map<number, Promise<{ i: number; r: IteratorResult<LogEntry> }>>();
  const next = (i: number) =>
    pending.set(
      i,
      iters[i]!.it.next().then((r) => ({ i, r })),
    );
  for (let i = 0; i < iters.length; i++) next(i);
  try {
    while (pending.size) {
      const { i, r } = await Promise.race(pending.values());
      if (r.done) {
        pending.delete(i);
        continue;
      }
      next(i);
      const c = iters[i]!.c;
      yield { service: c.service, container: c.name, number: c.number, entry: r.value };
    }
  } finally {
    await Promise.all(iters.map((x) => x.it.return?.().catch(() => undefined)));
  }
}
