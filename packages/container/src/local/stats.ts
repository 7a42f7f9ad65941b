import type { ContainerInfo, ContainerStats } from '@tscr/api';
import { cancelled } from '@tscr/api';
import type { TaskRuntime, TaskStats } from '@tscr/runtime';

/** How often a stream samples. */
const INTERVAL_MS = 1000;
/** A one-shot sample's CPU % comes from two reads this far apart. */
const ONE_SHOT_GAP_MS = 100;

/** CPU % (100 = one CPU, as Docker) and memory % between two samples. */
export function toContainerStats(info: ContainerInfo, cur: TaskStats, prev?: TaskStats): ContainerStats {
  let cpuPercent = 0;
  if (prev) {
    const cpuDelta = cur.cpuTotalNs - prev.cpuTotalNs;
    const systemDelta = (cur.systemCpuUs - prev.systemCpuUs) * 1000;
    if (cpuDelta > 0 && systemDelta > 0) cpuPercent = (cpuDelta / systemDelta) * cur.onlineCpus * 100;
  }
  return {
    id: info.id,
    name: info.name,
    read: cur.read,
    cpuPercent,
    cpuTotalNs: cur.cpuTotalNs,
    memoryUsage: cur.memoryUsage,
    memoryLimit: cur.memoryLimit,
    memoryPercent: cur.memoryLimit > 0 ? (cur.memoryUsage / cur.memoryLimit) * 100 : 0,
    netRxBytes: cur.netRxBytes,
    netTxBytes: cur.netTxBytes,
    blockReadBytes: cur.blockReadBytes,
    blockWriteBytes: cur.blockWriteBytes,
    pids: cur.pids,
  };
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(cancelled('stats cancelled'));
    const onAbort = () => {
      clearTimeout(timer);
      reject(cancelled('stats cancelled'));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Samples `info`'s task: once (two reads for the CPU %) or every second
 * until `signal` aborts or the task stops (the stream then ends).
 */
export async function* sampleStats(
  runtime: Pick<TaskRuntime, 'stats'>,
  info: ContainerInfo,
  stream: boolean,
  signal?: AbortSignal,
): AsyncGenerator<ContainerStats> {
  let prev = await runtime.stats(info.id, { signal });
  if (!stream) {
    await sleep(ONE_SHOT_GAP_MS, signal);
    yield toContainerStats(info, await runtime.stats(info.id, { signal }), prev);
    return;
  }
  yield toContainerStats(info, prev);
  for (;;) {
    try {
      await sleep(INTERVAL_MS, signal);
    } catch {
      return;
    }
    let cur: TaskStats;
    try {
      cur = await runtime.stats(info.id, { signal });
    } catch {
      return; // stopped meanwhile
    }
    yield toContainerStats(info, cur, prev);
    prev = cur;
  }
}
