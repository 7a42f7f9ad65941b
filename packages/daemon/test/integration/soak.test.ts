/**
 * The soak of `npm run soak`, at 100 cycles: a private tscrd, run/remove cycles on its default
 * bridge through the gRPC clients (8 at a time), exec sessions and `logs -f` / `events` subscribers
 * that leave abruptly. Afterwards no host resource of the daemon may have grown (counts, not timings).
 * Root only (containers, bridges, cgroups); needs a build.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { skipUnlessRoot } from '@tscr/testkit';
import { COUNTED, type SoakResult, soak } from '../../../../bench/soak.mjs';

const built = existsSync(fileURLToPath(new URL('../../dist/main.cjs', import.meta.url)));
const skip = skipUnlessRoot('runc', 'conmon', 'iptables-save') ?? (built ? undefined : 'needs a build (npm run build)');

describe.skipIf(skip)('soak (100 cycles)', () => {
  it('leaks no fd, mount, veth, iptables rule, netns, cgroup, IP, SQLite row or conmon', async () => {
    const r: SoakResult = await soak({ cycles: 100, warmup: 20, execs: 40, subscribers: 12, log: () => undefined });
    expect(r.errors).toEqual([]);
    // Every container is gone: the counts are back where they were before the first cycle.
    for (const k of COUNTED.filter((c) => c !== 'fds')) expect({ [k]: r.after[k] }).toEqual({ [k]: r.before[k] });
    // The daemon's fds: its listeners, database and our client's connection, no more than after the warm-up.
    expect(r.after.fds).toBeLessThanOrEqual(r.warm.fds);
    expect(r.after.conmon).toBe(0);
    expect(r.after.veths).toBe(0);
  }, 600_000);
});
