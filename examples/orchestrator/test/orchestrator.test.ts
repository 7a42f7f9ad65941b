/**
 * The orchestrator example against two real daemons on this machine (mutual
 * TLS, contexts in a temp HOME): it spreads 3 replicas over both (sending the
 * image to the daemon that lacks it), replaces a replica killed behind its
 * back, and rolls the service to a new tag one replica at a time without
 * ever running fewer than 3. Root only.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uniqueName } from '@tscr/testkit';
import { e2eSkipReason } from '../../../packages/cli/test/fixtures/e2e.js';
import { startTwoDaemons, type TwoDaemons } from '../../../packages/cli/test/fixtures/two-daemons.js';
import { readContext } from '../src/contexts.js';
import { closeNode, connectNode, Orchestrator, type NodeClients, type Replica } from '../src/orchestrator.js';

async function until(what: string, ok: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await ok()) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe.skipIf(e2eSkipReason())('examples/orchestrator', () => {
  let t: TwoDaemons;
  let nodes: NodeClients[] = [];
  let orchestrator: Orchestrator;
  const stop = new AbortController();
  let running: Promise<void> | undefined;
  const log: string[] = [];
  const healthy = (rs: Replica[]) => rs.filter((r) => r.running && r.health === 'healthy');

  beforeAll(async () => {
    t = await startTwoDaemons();
    nodes = ['a', 'b'].map((n) => connectNode(n, readContext(n, t.home)));
    orchestrator = new Orchestrator(
      nodes,
      {
        name: uniqueName('svc'),
        image: t.image,
        replicas: 3,
        cmd: ['sleep', '1000'],
        healthcheck: { test: ['CMD', 'true'], intervalMs: 500, retries: 1 },
        networkMode: 'none',
      },
      (line) => log.push(line),
    );
    running = orchestrator.run(stop.signal, 2000);
  }, 120_000);

  afterAll(async () => {
    stop.abort();
    await running;
    await orchestrator?.remove();
    for (const n of nodes) closeNode(n);
    await t?.cleanup();
  });

  it('places 3 healthy replicas over both daemons', async () => {
    await until('3 healthy replicas', async () => healthy(await orchestrator.replicas()).length === 3);
    const rs = await orchestrator.replicas();
    expect(new Set(rs.map((r) => r.node.name))).toEqual(new Set(['a', 'b']));
    expect(log.some((l) => l.startsWith(`sending ${t.image} from a to b`))).toBe(true);
  });

  it('replaces a replica that is killed', async () => {
    const [victim] = await orchestrator.replicas();
    await victim!.node.containers.kill(victim!.id, 'SIGKILL');
    await until('the killed replica replaced', async () => {
      const rs = await orchestrator.replicas();
      return healthy(rs).length === 3 && !rs.some((r) => r.id === victim!.id);
    });
    expect(log.some((l) => l.startsWith(`removing replica ${victim!.index}`))).toBe(true);
  });

  it('rolls to a new image one replica at a time, never below 3 running', async () => {
    const next = `${t.image.split(':')[0]}:v2`;
    await nodes[0]!.images.tag(t.image, next);
    const during: Promise<number>[] = [];
    const steps: number[] = [];
    await orchestrator.rollingUpdate(next, {
      // After each step (the old replica just removed): how many healthy ones run.
      onStep: (i) => {
        steps.push(i);
        during.push(orchestrator.replicas().then((rs) => healthy(rs).length));
      },
    });
    expect(steps.sort()).toEqual([0, 1, 2]);
    const rs = await orchestrator.replicas();
    expect(rs.map((r) => r.image)).toEqual([next, next, next]);
    expect(healthy(rs).length).toBe(3);
    expect(Math.min(...(await Promise.all(during)))).toBeGreaterThanOrEqual(3);
  });
});
