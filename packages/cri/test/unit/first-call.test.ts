import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HTTP2_PREFACE, trickle } from '@tscr/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCriServer } from '../../src/server.js';
import type { CriBackends, CriServer } from '../../src/types.js';

const DEADLINE_MS = 500;

describe('the CRI listener', () => {
  let dir: string;
  let cri: CriServer;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tscr-test-cri-first-call-'));
    // No call reaches the backends in this test: the connection never gets that far.
    cri = await createCriServer({} as CriBackends, `unix://${join(dir, 'cri.sock')}`, {
      sandboxImage: 'tscr-test/pause',
      imageRoot: join(dir, 'images'),
      logger: () => undefined,
      firstCallTimeoutMs: DEADLINE_MS,
    });
  });

  afterAll(async () => {
    await cri?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('closes a connection whose preface trickles in slower than the first-call deadline', async () => {
    // The whole preface would take 24 × 200 ms = 4.8 s; the deadline is 0.5 s.
    const { heldMs: held } = await trickle(join(dir, 'cri.sock'), HTTP2_PREFACE, 200);
    expect(held).toBeGreaterThanOrEqual(DEADLINE_MS - 50);
    expect(held).toBeLessThan(4000);
  });
});
